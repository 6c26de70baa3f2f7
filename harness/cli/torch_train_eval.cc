// `harness eval`: the CLI glue between flags and the torch-side evaluation of a checkpoint.
#include <cstdio>
#include <iostream>
#include <memory>

#include "harness/cli/code_grading.h"
#include "harness/cli/command.h"
#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "reports/results.h"
#include "tasks/registry.h"
#include "tasks/synth/synth.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/eval/evaluate.h"
#include "trainers/model/llama.h"
#include "trainers/sft/sft_data.h"
#include "trainers/sft/sft_trainer.h"
#include "trainers/tokenizer/tokenizer.h"

namespace cli {

namespace {

struct EvalFlags {
  std::string checkpoint;
  std::string task;
  std::string data;
  int synthetic = 0;
  uint64_t seed = 1;
  int steps = 0;
  std::string template_name;
  std::string prefix;
  std::string preset;
  int k = 1;
  double temperature = 0.0;
  double top_p = 1.0;
  int max_new_tokens = 256;
  int threads = 0;
  int limit = 0;
  bool chat = false;
  CodeGradingFlags code;
  std::string out;
};

int RunEval(const EvalFlags& flags) {
  const tasks::Task& task = tasks::FindTask(flags.task);
  if (flags.data.empty() == (flags.synthetic <= 0)) {
    throw util::InputError(util::Location{"", 0, "--data"}, "give exactly one of --data FILE or --synthetic N");
  }
  util::MakeDirs(flags.out);
  tasks::LoadOptions load;
  load.shuffle_seed = flags.seed;
  if (!flags.data.empty()) {
    load.path = flags.data;
  } else {
    tasks::synth::SynthOptions synth;
    synth.task = flags.task;
    synth.split = "test";
    synth.n = flags.synthetic;
    synth.seed = flags.seed;
    synth.steps = flags.steps;
    tasks::synth::ValidateOptions(synth);
    load.path = flags.out + "/" + trainers::SyntheticFileName(flags.task, "test");
    load.variant = trainers::SyntheticVariant(flags.task);
    tasks::synth::WriteSynthetic(synth, load.path);
  }
  std::vector<tasks::Record> records = task.Load(load);
  if (flags.limit > 0 && static_cast<int>(records.size()) > flags.limit) records.resize(flags.limit);

  trainers::RuntimeConfig runtime;
  runtime.threads = trainers::SetTorchThreads(flags.threads);
  trainers::LlamaForCausalLM model = trainers::LoadCheckpoint(flags.checkpoint, runtime);
  tokenizer::Tokenizer tok = trainers::LoadCheckpointTokenizer(flags.checkpoint);

  trainers::EvalOptions options;
  options.template_name = flags.template_name;
  options.prompt_prefix = flags.prefix;
  options.preset = flags.preset;
  options.k = flags.k;
  options.temperature = flags.temperature;
  options.top_p = flags.top_p;
  options.max_new_tokens = flags.max_new_tokens;
  options.seed = flags.seed;
  options.code_block = flags.code.code_block;
  options.chat = flags.chat;
  nlohmann::json sandbox_environment;
  if (records.front().kind == tasks::AnswerKind::kCode) options.code_grader = MakeCodeGrader(flags.code, &sandbox_environment);
  trainers::EvalOutput e = trainers::EvaluateModel(model, tok, task, records, options);

  reports::ResultRow row;
  row.task = task.name();
  row.variant = records.front().variant;
  row.method = "checkpoint";
  row.model = flags.checkpoint;
  row.seed = flags.seed;
  row.n = e.scored.n;
  row.template_name = options.template_name.empty() ? task.templates().front() : options.template_name;
  row.extraction_preset = e.scored.preset;
  row.k = e.scored.k;
  row.metrics = e.scored.metrics;
  nlohmann::json config = {{"command", "eval"}, {"task", task.name()}, {"task_version", task.version()},
                           {"checkpoint", flags.checkpoint}, {"data_file", load.path},
                           {"data_sha256", util::Sha256File(load.path)}, {"synthetic", flags.synthetic},
                           {"seed", flags.seed}, {"k", flags.k}, {"temperature", flags.temperature},
                           {"top_p", flags.top_p}, {"max_new_tokens", flags.max_new_tokens},
                           {"template", row.template_name}, {"prefix", flags.prefix},
                           {"extraction_preset", row.extraction_preset}, {"chat", flags.chat}};
  nlohmann::json environment = reports::EnvironmentJson();
  auto info = trainers::GetTorchBuildInfo();
  environment["torch_version"] = info.torch_version;
  environment["torch_threads"] = info.intra_op_threads;
  if (!sandbox_environment.is_null()) environment["sandbox"] = sandbox_environment;
  nlohmann::json doc = reports::MakeResultsDocument(config, {row}, environment);
  doc["profile"] = {{"phases",
                     {{{"name", "generate:" + task.name()}, {"wall_seconds", e.generate_seconds},
                       {"throughput", e.generated_tokens_per_second}, {"unit", "generated tokens/s"},
                       {"generated_tokens", e.generated_tokens}, {"prompt_tokens", e.prompt_tokens}},
                      {{"name", "score:" + task.name()}, {"wall_seconds", e.score_seconds},
                       {"throughput", e.scored_completions_per_second}, {"unit", "completions/s"}}}}};
  for (auto& s : e.scored.samples) {
    s["method"] = row.method;
    s["model"] = row.model;
    s["seed"] = row.seed;
  }
  util::WriteFileAtomic(flags.out + "/samples.jsonl", util::ToJsonLines(e.scored.samples));
  util::WriteFileAtomic(flags.out + "/results.json", doc.dump(2) + "\n");
  std::printf("%s n=%d k=%d accuracy %.4f", task.name().c_str(), row.n, row.k,
              row.metrics["accuracy"].get<double>());
  for (const auto& [name, value] : row.metrics.items()) {
    if (name.find('@') != std::string::npos && value.is_number()) std::printf("  %s %.4f", name.c_str(), value.get<double>());
  }
  std::printf("\ngenerated %lld tokens in %.1fs (%.0f tokens/s)\n", e.generated_tokens, e.generate_seconds,
              e.generated_tokens_per_second);
  return kOk;
}

}  // namespace

void RegisterEvalCommand(CLI::App& app, Action* selected) {
  {
    auto flags = std::make_shared<EvalFlags>();
    auto* cmd = app.add_subcommand("eval", "Generate with a checkpoint and score it on a task");
    cmd->add_option("--checkpoint", flags->checkpoint, "HF-layout checkpoint directory or .gguf file")->required();
    cmd->add_flag("--chat", flags->chat, "wrap each prompt in the model's chat template (one user turn)");
    cmd->add_option("--task", flags->task, "Task family")->required();
    cmd->add_option("--data", flags->data, "Data file in the benchmark's format");
    cmd->add_option("--synthetic", flags->synthetic, "Evaluate on N problems of the built-in test split");
    cmd->add_option("--seed", flags->seed, "Seed for synthetic data, option shuffles and sampling")->capture_default_str();
    cmd->add_option("--steps", flags->steps, "Synthetic difficulty (reasoning steps; 0 = task default)");
    cmd->add_option("--template", flags->template_name, "Prompt template");
    cmd->add_option("--prefix", flags->prefix,
                    "Text before every prompt: a method's inference condition, e.g. <|expert|> (C-RLFT)");
    cmd->add_option("--extract", flags->preset, "Extraction preset");
    cmd->add_option("--k", flags->k, "Samples per problem")->capture_default_str();
    cmd->add_option("--temperature", flags->temperature, "Sampling temperature (0 = greedy)")->capture_default_str();
    cmd->add_option("--top-p", flags->top_p, "Nucleus sampling mass")->capture_default_str();
    cmd->add_option("--max-new-tokens", flags->max_new_tokens, "Generated tokens per sample")->capture_default_str();
    cmd->add_option("--threads", flags->threads, "Torch intra-op threads (0 = cores)");
    cmd->add_option("--limit", flags->limit, "Evaluate only the first N records");
    AddCodeGradingFlags(cmd, &flags->code);
    cmd->add_option("--out", flags->out, "Output directory")->required();
    cmd->callback([selected, flags] { *selected = [flags] { return RunEval(*flags); }; });
  }
}

}  // namespace cli
