// `harness eval`: the CLI glue between flags and the evaluation of a checkpoint (the torch engine) or of
// an OpenAI-compatible server (--endpoint; harness/remote, torch-free). Both feed the same scoring and
// results files.
#include <cstdio>
#include <iostream>
#include <memory>

#include "harness/cli/code_grading.h"
#include "harness/cli/command.h"
#include "harness/remote/remote_generate.h"
#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "reports/results.h"
#include "tasks/registry.h"
#include "tasks/synth/synth.h"
#include "harness/cli/torch_launch.h"
#include "trainers/build_info.h"
#include "trainers/distributed/world.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/eval/evaluate.h"
#include "trainers/eval/evaluate_endpoint.h"
#include "trainers/model/llama.h"
#include "trainers/sft/sft_data.h"
#include "trainers/sft/sft_trainer.h"
#include "trainers/tokenizer/tokenizer.h"

namespace cli {

namespace {

struct EvalFlags {
  std::string checkpoint;
  remote::EndpointOptions endpoint;  // used when endpoint.url is given
  std::string cache;                 // response cache for --endpoint ("" = <out>/remote_cache.jsonl)
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
  bool program_answers = false;      // P-CoT: the value each completion's program prints is the answer
  CodeGradingFlags code;
  std::string out;
  DistributedFlags distributed;  // --checkpoint only: records sharded across ranks, scored on rank 0
};

bool Remote(const EvalFlags& flags) { return !flags.endpoint.url.empty(); }

trainers::EvalOptions MakeEvalOptions(const EvalFlags& flags) {
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
  options.program_answers = flags.program_answers;
  return options;
}

// Every flag checked before any work.
void ValidateEvalFlags(const EvalFlags& flags) {
  if (flags.checkpoint.empty() == flags.endpoint.url.empty()) {
    throw util::InputError(util::Location{"", 0, "--checkpoint"}, "give exactly one of --checkpoint M or --endpoint URL");
  }
  if (Remote(flags)) {
    remote::ValidateEndpointOptions(flags.endpoint);
  } else if (!flags.endpoint.model.empty()) {
    throw util::InputError(util::Location{"", 0, "--model"}, "only with --endpoint (a checkpoint names itself)");
  }
  if (flags.data.empty() == (flags.synthetic <= 0)) {
    throw util::InputError(util::Location{"", 0, "--data"}, "give exactly one of --data FILE or --synthetic N");
  }
  if (flags.max_new_tokens < 1) throw util::InputError(util::Location{"", 0, "--max-new-tokens"}, "must be >= 1");
  if (!(flags.temperature >= 0)) throw util::InputError(util::Location{"", 0, "--temperature"}, "must be >= 0");
  if (!(flags.top_p > 0 && flags.top_p <= 1)) throw util::InputError(util::Location{"", 0, "--top-p"}, "must be in (0, 1]");
  if (flags.limit < 0) throw util::InputError(util::Location{"", 0, "--limit"}, "must be >= 0");
  trainers::ValidateEvalSampling(MakeEvalOptions(flags));
}

// Generation through the server at --endpoint, scored like a local evaluation.
trainers::EvalOutput EvaluateEndpoint(const EvalFlags& flags, const tasks::Task& task,
                                      const std::vector<tasks::Record>& records, const trainers::EvalOptions& options) {
  const std::string cache = flags.cache.empty() ? flags.out + "/remote_cache.jsonl" : flags.cache;
  remote::EndpointOptions endpoint = flags.endpoint;
  endpoint.chat = flags.chat;  // --chat: /v1/chat/completions, the server applies its chat template
  remote::GenerateStats stats;
  trainers::EvalOutput out = trainers::EvaluateEndpoint(endpoint, task, records, options, cache, &stats);
  std::fprintf(stderr, "endpoint: %d requests sent, %d answered from the cache %s\n", stats.requests_sent,
               stats.cache_hits, cache.c_str());
  return out;
}

trainers::EvalOutput EvaluateCheckpoint(const EvalFlags& flags, const tasks::Task& task,
                                        const std::vector<tasks::Record>& records, const trainers::EvalOptions& options) {
  trainers::RuntimeConfig runtime;
  runtime.threads = trainers::SetTorchThreads(dist::ThreadsPerRank(flags.threads));
  trainers::LlamaForCausalLM model = trainers::LoadCheckpoint(flags.checkpoint, runtime);
  tokenizer::Tokenizer tok = trainers::LoadCheckpointTokenizer(flags.checkpoint);
  return trainers::EvaluateModel(model, tok, task, records, options);
}

int RunEval(const EvalFlags& flags) {
  const tasks::Task& task = tasks::FindTask(flags.task);
  ValidateEvalFlags(flags);
  if (flags.distributed.nproc > 1 && Remote(flags)) {
    throw util::InputError(util::Location{"", 0, "--nproc"}, "only with --checkpoint (a server batches on its own)");
  }
  util::MakeDirs(flags.out);
  if (const int launched = LaunchOrJoin(flags.distributed, flags.out + "/ranks"); launched >= 0) return launched;
  std::vector<tasks::Record> records;
  std::string data_path = flags.data;
  if (!flags.data.empty()) {
    tasks::LoadOptions load;
    load.path = flags.data;
    load.shuffle_seed = flags.seed;
    records = task.Load(load);
  } else {
    tasks::synth::SynthOptions synth;
    synth.task = flags.task;
    synth.split = "test";
    synth.n = flags.synthetic;
    synth.seed = flags.seed;
    synth.steps = flags.steps;
    tasks::synth::ValidateOptions(synth);
    data_path = flags.out + "/" + trainers::SyntheticFileName(flags.task, "test");
    records = trainers::WriteAndLoadSynthetic(synth, data_path, flags.seed);
  }
  if (flags.limit > 0 && static_cast<int>(records.size()) > flags.limit) records.resize(flags.limit);

  trainers::EvalOptions options = MakeEvalOptions(flags);
  nlohmann::json sandbox_environment;
  if (flags.program_answers) {
    options.program_runner =
        MakeProgramAnswerRunner(flags.code, task, records.front().kind, data_path, &sandbox_environment);
  }
  if (records.front().kind == tasks::AnswerKind::kCode) options.code_grader = MakeCodeGrader(flags.code, &sandbox_environment);
  trainers::EvalOutput e = Remote(flags) ? EvaluateEndpoint(flags, task, records, options)
                                         : EvaluateCheckpoint(flags, task, records, options);
  if (!dist::IsWriter()) return kOk;  // rank 0 scored the gathered completions and writes the files

  reports::ResultRow row;
  row.task = task.name();
  row.variant = records.front().variant;
  row.method = Remote(flags) ? "endpoint" : "checkpoint";
  row.model = Remote(flags) ? flags.endpoint.model : flags.checkpoint;
  row.seed = flags.seed;
  row.n = e.scored.n;
  row.template_name = options.template_name.empty() ? task.templates().front() : options.template_name;
  row.extraction_preset = e.scored.preset;
  row.k = e.scored.k;
  row.metrics = e.scored.metrics;
  nlohmann::json config = {{"command", "eval"}, {"task", task.name()}, {"task_version", task.version()},
                           {"checkpoint", flags.checkpoint}, {"data_file", data_path},
                           {"data_sha256", util::Sha256File(data_path)}, {"synthetic", flags.synthetic},
                           {"seed", flags.seed}, {"k", flags.k}, {"temperature", flags.temperature},
                           {"top_p", flags.top_p}, {"max_new_tokens", flags.max_new_tokens},
                           {"template", row.template_name}, {"prefix", flags.prefix},
                           {"extraction_preset", row.extraction_preset}, {"chat", flags.chat}};
  if (flags.program_answers) config["answers"] = "program";
  if (Remote(flags)) {
    config.erase("checkpoint");
    config["endpoint"] = flags.endpoint.url;
    config["model"] = flags.endpoint.model;
  }
  nlohmann::json environment = reports::EnvironmentJson();
  if (!Remote(flags)) {
    auto info = trainers::GetTorchBuildInfo();
    environment["torch_version"] = info.torch_version;
    environment["torch_threads"] = info.intra_op_threads;
  }
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
  util::WriteJsonLinesAtomic(flags.out + "/samples.jsonl", e.scored.samples);
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
    auto* cmd = app.add_subcommand("eval", "Generate with a checkpoint or an OpenAI-compatible server and score it on a task");
    cmd->add_option("--checkpoint", flags->checkpoint, "HF-layout checkpoint directory or .gguf file");
    cmd->add_option("--endpoint", flags->endpoint.url,
                    "OpenAI-compatible server instead of a checkpoint, e.g. http://127.0.0.1:8000 (needs --model)");
    cmd->add_option("--model", flags->endpoint.model, "With --endpoint: the served model's name");
    cmd->add_option("--concurrency", flags->endpoint.concurrency, "With --endpoint: requests in flight")->capture_default_str();
    cmd->add_option("--retries", flags->endpoint.retries,
                    "With --endpoint: retries of a request after a connection error, timeout, 429 or 5xx")->capture_default_str();
    cmd->add_option("--backoff", flags->endpoint.backoff_seconds,
                    "With --endpoint: seconds before the first retry (doubling after)")->capture_default_str();
    cmd->add_option("--request-timeout", flags->endpoint.timeout_seconds,
                    "With --endpoint: seconds to wait for a connection or the server's next bytes")->capture_default_str();
    cmd->add_option("--cache", flags->cache,
                    "With --endpoint: JSONL cache of responses (default OUT/remote_cache.jsonl); a rerun resumes from it");
    cmd->add_flag("--chat", flags->chat,
                  "wrap each prompt in the model's chat template (one user turn); with --endpoint: /v1/chat/completions");
    cmd->add_option("--task", flags->task, "Task family")->required();
    AddDistributedFlags(cmd, &flags->distributed);
    cmd->add_option("--data", flags->data, "Data file in the benchmark's format");
    cmd->add_option("--synthetic", flags->synthetic, "Evaluate on N problems of the built-in test split");
    cmd->add_option("--seed", flags->seed, "Seed for synthetic data, option shuffles and sampling")->capture_default_str();
    cmd->add_option("--steps", flags->steps, "Synthetic difficulty (reasoning steps; 0 = task default)");
    cmd->add_option("--template", flags->template_name, "Prompt template");
    cmd->add_option("--prefix", flags->prefix,
                    "Text before every prompt: a method's inference condition, e.g. <|expert|> (C-RLFT)");
    cmd->add_option("--extract", flags->preset, "Extraction preset");
    cmd->add_flag("--program-answers", flags->program_answers,
                  "P-CoT: each completion is a Python program (up to its first blank line) whose printed value is the "
                  "answer; the programs run in the sandbox");
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
