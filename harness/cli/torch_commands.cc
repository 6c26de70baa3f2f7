// Commands that run the model engine (LibTorch builds only): init, generate, profile.
// Training and evaluation commands (train, eval, run) register here too as they arrive.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "harness/cli/command.h"
#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/generation/engine.h"
#include "trainers/model/config.h"
#include "trainers/model/llama.h"
#include "trainers/model/profile.h"
#include "trainers/tokenizer/tokenizer.h"

namespace cli {
namespace {

void AddRuntimeFlags(CLI::App* cmd, trainers::RuntimeConfig* runtime) {
  cmd->add_option("--device", runtime->device, "cpu, cuda or cuda:N (an absent device is an error)")
      ->capture_default_str();
  cmd->add_option("--dtype", runtime->dtype, "float32 or bfloat16")->capture_default_str();
  cmd->add_option("--threads", runtime->threads, "torch intra-op threads (0 = number of cores)")
      ->capture_default_str();
}

// ---------------------------------------------------------------------------------------------
// harness init

struct InitArgs {
  std::string preset = "nano";
  std::string tokenizer_path;
  std::string config_overrides;  // JSON object text or a path to one
  uint64_t seed = 0;
  std::string out;
  trainers::RuntimeConfig runtime;
};

int RunInit(const InitArgs& a) {
  tokenizer::Tokenizer tok = a.tokenizer_path.empty()
                                 ? tokenizer::Tokenizer::ByteLevel(tokenizer::DefaultSpecialTokens())
                                 : tokenizer::Tokenizer::Load(a.tokenizer_path);
  trainers::ModelConfig config = trainers::PresetConfig(a.preset, tok.vocab_size());
  config.bos_token_id = tok.bos_id();
  config.eos_token_id = tok.eos_id();
  config.pad_token_id = tok.pad_id();
  if (!a.config_overrides.empty()) {
    const bool is_file = util::FileExists(a.config_overrides);
    const auto json = is_file ? util::ReadJsonFile(a.config_overrides)
                              : util::ParseEmbeddedJson(a.config_overrides, util::Location{"--config", 0, ""});
    config = trainers::OverrideConfig(config, json, is_file ? a.config_overrides : "--config");
    if (config.vocab_size < tok.vocab_size()) {
      throw util::InputError(util::Location{"--config", 0, "vocab_size"},
                             "smaller than the tokenizer's " + std::to_string(tok.vocab_size()) + " tokens");
    }
  }
  auto model = trainers::BuildModel(config, a.runtime, a.seed);
  trainers::SaveCheckpoint(a.out, model, tok.ToJson());
  std::cout << "wrote " << a.out << ": preset " << a.preset << ", " << config.NumParameters()
            << " parameters, vocab " << config.vocab_size << ", seed " << a.seed << "\n";
  return kOk;
}

// ---------------------------------------------------------------------------------------------
// harness generate

struct GenerateArgs {
  std::string checkpoint;
  std::string prompt;
  std::vector<int> prompt_ids;
  int max_new_tokens = -1;     // -1: generation_config.json
  double temperature = -1;     // -1: generation_config.json (greedy unless do_sample)
  double top_p = -1;
  int top_k = -1;
  int n = 1;
  uint64_t seed = 0;
  bool bos = false;
  bool chat = false;
  std::vector<std::string> stops;
  bool json = false;
  trainers::RuntimeConfig runtime;
};

int RunGenerate(const GenerateArgs& a) {
  if (a.prompt.empty() == a.prompt_ids.empty()) {
    throw util::InputError(util::Location{"", 0, "--prompt"}, "give exactly one of --prompt or --prompt-ids");
  }
  // Token ids alone need no tokenizer (fixtures without tokenizer.json); text output is then empty.
  std::unique_ptr<tokenizer::Tokenizer> tok;
  if (!a.prompt.empty() || trainers::IsGgufPath(a.checkpoint) || util::FileExists(a.checkpoint + "/tokenizer.json")) {
    tok = std::make_unique<tokenizer::Tokenizer>(trainers::LoadCheckpointTokenizer(a.checkpoint));
  }
  if (a.chat && a.prompt.empty()) throw util::InputError(util::Location{"", 0, "--chat"}, "needs --prompt text");
  const auto defaults = trainers::ReadGenerationDefaults(a.checkpoint);
  auto model = trainers::LoadCheckpoint(a.checkpoint, a.runtime);
  trainers::GenerateRequest req;
  if (a.chat) {
    req.prompt = tok->EncodePrompt(a.prompt, /*chat=*/true);
  } else {
    if (a.bos && tok && tok->bos_id() >= 0) req.prompt.push_back(tok->bos_id());
    if (tok && !a.prompt.empty()) {
      for (int id : tok->Encode(a.prompt)) req.prompt.push_back(id);
    }
  }
  req.prompt.insert(req.prompt.end(), a.prompt_ids.begin(), a.prompt_ids.end());
  if (req.prompt.empty()) throw util::InputError(util::Location{"", 0, "--prompt"}, "prompt encodes to no tokens");
  req.n = a.n;
  req.seed = a.seed;
  req.max_new_tokens = a.max_new_tokens >= 0 ? a.max_new_tokens : defaults.max_new_tokens;
  req.sampling.temperature =
      a.temperature >= 0 ? a.temperature : (defaults.do_sample ? defaults.temperature : 0.0);
  req.sampling.top_p = a.top_p >= 0 ? a.top_p : defaults.top_p;
  req.sampling.top_k = a.top_k >= 0 ? a.top_k : defaults.top_k;
  const int eos = tok && tok->eos_id() >= 0 ? tok->eos_id() : model->config().eos_token_id;
  if (eos >= 0) req.stop_token_ids.push_back(eos);
  for (int id : defaults.eos_token_ids) {
    if (id != eos) req.stop_token_ids.push_back(id);
  }
  req.stop_strings = a.stops;
  trainers::DecodeFn decode;
  if (tok) decode = [&tok](const std::vector<int>& ids, bool skip) { return tok->Decode(ids, skip); };
  trainers::Engine engine(model, decode);
  const auto result = engine.Generate({req});
  if (a.json) {
    nlohmann::json out = {{"prompt_token_ids", req.prompt}, {"completions", nlohmann::json::array()}};
    for (const auto& c : result[0].completions) {
      out["completions"].push_back({{"text", c.text}, {"token_ids", c.token_ids}, {"logprobs", c.logprobs},
                                    {"finish_reason", c.finish_reason}});
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    for (size_t k = 0; k < result[0].completions.size(); ++k) {
      const auto& c = result[0].completions[k];
      if (result[0].completions.size() > 1) std::cout << "--- sample " << k << " (" << c.finish_reason << ")\n";
      std::cout << a.prompt << c.text << "\n";
    }
  }
  return kOk;
}

// ---------------------------------------------------------------------------------------------
// harness profile

struct ProfileArgs {
  std::string checkpoint;
  std::string preset;
  trainers::ProfileOptions options;
  bool json = false;
  trainers::RuntimeConfig runtime;
};

int RunProfile(const ProfileArgs& a) {
  if (a.checkpoint.empty() == a.preset.empty()) {
    throw util::InputError(util::Location{"", 0, "--checkpoint"}, "give exactly one of --checkpoint or --preset");
  }
  trainers::LlamaForCausalLM model{nullptr};
  if (!a.checkpoint.empty()) {
    model = trainers::LoadCheckpoint(a.checkpoint, a.runtime);
  } else {
    const int vocab = tokenizer::Tokenizer::ByteLevel(tokenizer::DefaultSpecialTokens()).vocab_size();
    model = trainers::BuildModel(trainers::PresetConfig(a.preset, vocab), a.runtime, a.options.seed);
  }
  auto report = trainers::ProfileModel(model, a.options);
  report["model"] = a.checkpoint.empty() ? "preset:" + a.preset : a.checkpoint;
  report["parallel_info"] = trainers::GetTorchBuildInfo().parallel_info;
  if (a.json) {
    std::cout << report.dump() << "\n";
    return kOk;
  }
  auto row = [&](const char* name, const std::string& value) {
    std::cout << "| " << name << std::string(24 - std::min<size_t>(24, std::string(name).size()), ' ') << "| " << value << "\n";
  };
  for (const char* key : {"model", "parameters", "device", "dtype", "intra_op_threads", "batch", "seq",
                          "new_tokens", "train_batch", "gemm_peak_gflops", "train_tokens_per_s", "train_mfu",
                          "prefill_tokens_per_s", "prefill_mfu", "decode_tokens_per_s", "generate_tokens_per_s",
                          "decode_mfu", "peak_rss_mb"}) {
    row(key, report[key].dump());
  }
  return kOk;
}

}  // namespace

void RegisterTorchCommands(CLI::App& app, Action* selected) {
  {
    auto args = std::make_shared<InitArgs>();
    auto* cmd = app.add_subcommand("init", "Write a randomly initialised model as an HF checkpoint directory");
    cmd->add_option("--preset", args->preset, "nano (~1M params), micro (~6M), small (~25M)")->capture_default_str();
    cmd->add_option("--tokenizer", args->tokenizer_path, "tokenizer.json (default: byte-level with special tokens)");
    cmd->add_option("--config", args->config_overrides, "JSON object (or file) of config.json keys to override");
    cmd->add_option("--seed", args->seed, "initialisation seed")->capture_default_str();
    cmd->add_option("--out", args->out, "output directory")->required();
    AddRuntimeFlags(cmd, &args->runtime);
    cmd->callback([selected, args] { *selected = [args] { return RunInit(*args); }; });
  }
  {
    auto args = std::make_shared<GenerateArgs>();
    auto* cmd = app.add_subcommand("generate", "Generate text from a checkpoint");
    cmd->add_option("--checkpoint", args->checkpoint, "HF checkpoint directory or .gguf file")->required();
    cmd->add_option("--prompt", args->prompt, "prompt text");
    cmd->add_option("--prompt-ids", args->prompt_ids, "prompt as token ids instead of text")->delimiter(',');
    cmd->add_option("--max-new-tokens", args->max_new_tokens, "default: generation_config.json");
    cmd->add_option("--temperature", args->temperature, "0 = greedy; default: generation_config.json");
    cmd->add_option("--top-p", args->top_p, "nucleus mass (1 = off)");
    cmd->add_option("--top-k", args->top_k, "keep k most likely tokens (0 = off)");
    cmd->add_option("--n", args->n, "samples")->capture_default_str()->check(CLI::PositiveNumber);
    cmd->add_option("--seed", args->seed, "sampling seed")->capture_default_str();
    cmd->add_option("--stop", args->stops, "stop string (repeatable)");
    cmd->add_flag("--bos", args->bos, "prepend the tokenizer's bos token");
    cmd->add_flag("--chat", args->chat, "wrap --prompt in the model's chat template (one user turn)");
    cmd->add_flag("--json", args->json, "print {prompt_token_ids, completions: [{text, token_ids, logprobs, finish_reason}]}");
    AddRuntimeFlags(cmd, &args->runtime);
    cmd->callback([selected, args] { *selected = [args] { return RunGenerate(*args); }; });
  }
  {
    auto args = std::make_shared<ProfileArgs>();
    auto* cmd = app.add_subcommand("profile", "Training / prefill / decode throughput, peak RSS and MFU");
    cmd->add_option("--checkpoint", args->checkpoint, "HF checkpoint directory or .gguf file");
    cmd->add_option("--preset", args->preset, "or a randomly initialised preset");
    cmd->add_option("--batch", args->options.batch, "decode/prefill batch")->capture_default_str();
    cmd->add_option("--seq", args->options.seq, "prompt / training sequence length")->capture_default_str();
    cmd->add_option("--new", args->options.new_tokens, "decoded tokens per sequence")->capture_default_str();
    cmd->add_option("--train-batch", args->options.train_batch, "training batch")->capture_default_str();
    cmd->add_option("--train-steps", args->options.train_steps, "timed training steps")->capture_default_str();
    cmd->add_flag("--json", args->json, "print one JSON object");
    AddRuntimeFlags(cmd, &args->runtime);
    cmd->callback([selected, args] { *selected = [args] { return RunProfile(*args); }; });
  }
}

}  // namespace cli
