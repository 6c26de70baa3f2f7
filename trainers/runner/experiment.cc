// The experiment runner's main loop, top to bottom:
//   for each seed: 1. train SFT on the synthetic train splits of every task (multi-task, one model)
//                  2. initialise the untrained base model (same tokenizer and architecture, seed's init)
//                  3. evaluate every method on every task: greedy (accuracy) and k samples (maj@k, pass@k)
//   then: merge rows into results.json / samples.jsonl, write profile.json and report.html.
#include "trainers/runner/experiment.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <utility>

#include <torch/torch.h>

#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "reports/history.h"
#include "reports/html_report.h"
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

namespace trainers {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Step keys: the first 12 hex digits of the SHA-256 of the step's canonical inputs.
std::string StepKey(const json& inputs) { return util::Sha256Hex(inputs.dump()).substr(0, 12); }

double CpuSeconds() {
  struct rusage self {}, children {};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  auto sec = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return sec(self.ru_utime) + sec(self.ru_stime) + sec(children.ru_utime) + sec(children.ru_stime);
}

long long PeakRssBytes() {
  struct rusage self {};
  ::getrusage(RUSAGE_SELF, &self);
  return static_cast<long long>(self.ru_maxrss) * 1024;
}

// Records wall/CPU time and throughput of each phase for profile.json and the report.
class Profiler {
 public:
  void Add(const std::string& name, double wall, double cpu, double throughput, const std::string& unit,
           bool skipped) {
    phases_.push_back({{"name", name}, {"wall_seconds", wall}, {"cpu_seconds", cpu}, {"throughput", throughput},
                       {"unit", unit}, {"peak_rss_bytes", PeakRssBytes()}, {"skipped", skipped}});
  }
  const json& phases() const { return phases_; }

 private:
  json phases_ = json::array();
};

void Progress(const std::string& line) { std::cerr << "[run] " << line << "\n" << std::flush; }

// Appends the rows of a jsonl file that may not exist yet (e.g. a metrics log).
void AppendJsonLinesIfPresent(const std::string& path, std::vector<json>* rows) {
  if (!util::FileExists(path)) return;
  for (auto& l : util::ReadJsonLines(path)) rows->push_back(std::move(l.value));
}

}  // namespace

ExperimentOutcome RunExperiment(const ExperimentConfig& config, const std::string& out_dir,
                                const CodeGraderFactory& code_grader, const std::string& history_db) {
  const auto run_start = Clock::now();
  ExperimentOutcome outcome;
  util::MakeDirs(out_dir);
  const json config_json = ExperimentConfigToJson(config);
  util::WriteFileAtomic(out_dir + "/config.json", config_json.dump(2) + "\n");
  const int threads = SetTorchThreads(config.threads);
  Profiler profiler;
  std::vector<reports::ResultRow> rows;
  std::vector<json> all_samples;
  json training_logs = json::array();
  json sandbox_layers;

  for (uint64_t seed : config.seeds) {
    // 0. Test sets: synthetic test splits written once per (task, n, steps, seed), or the given files.
    std::map<std::string, std::vector<tasks::Record>> test_sets;
    for (const auto& t : config.tasks) {
      tasks::LoadOptions load;
      load.shuffle_seed = seed;
      if (!t.test_file.empty()) {
        load.path = t.test_file;
      } else {
        tasks::synth::SynthOptions synth;
        synth.task = t.task;
        synth.split = "test";
        synth.n = t.test_n;
        synth.seed = seed;
        synth.steps = t.steps;
        synth.max_value = t.max_value;
        const std::string key = StepKey({{"synth", t.task}, {"n", t.test_n}, {"seed", seed}, {"steps", t.steps},
                                              {"max_value", t.max_value}});
        load.path = out_dir + "/data/" + key + "_" + SyntheticFileName(t.task, "test");
        load.variant = SyntheticVariant(t.task);
        if (!util::FileExists(load.path)) tasks::synth::WriteSynthetic(synth, load.path);
      }
      auto records = tasks::FindTask(t.task).Load(load);
      if (t.test_limit > 0 && static_cast<int>(records.size()) > t.test_limit) records.resize(t.test_limit);
      test_sets[t.task] = std::move(records);
    }

    // 1. SFT on every task's synthetic train split (also trains the tokenizer that base shares).
    json sft_json = config.sft;
    sft_json["seed"] = seed;
    sft_json["threads"] = threads;
    sft_json["train"] = json::array();
    for (const auto& t : config.tasks) {
      if (t.train_n > 0) {
        // Natural-language chain of thought (ReFT's N-CoT) teaches reasoning; LiveCodeBench items carry
        // a reference program instead.
        sft_json["train"].push_back({{"task", t.task}, {"synthetic_n", t.train_n}, {"synthetic_seed", seed},
                                     {"steps", t.steps}, {"max_value", t.max_value}, {"template", t.template_name}, {"style", t.task == "livecodebench" ? "" : "ncot"}});
      }
    }
    SftConfig sft_config = SftConfigFromJson(sft_json, "config.sft");
    const std::string sft_dir = out_dir + "/train/sft-" + StepKey(SftConfigToJson(sft_config));
    const std::string sft_done = sft_dir + "/DONE.json";
    {
      const auto start = Clock::now();
      const double cpu0 = CpuSeconds();
      bool skipped = util::FileExists(sft_done);
      if (!skipped) {
        Progress("train sft (seed " + std::to_string(seed) + ") -> " + sft_dir);
        SftRunResult r = RunSft(sft_config, sft_dir);
        util::WriteFileAtomic(sft_done, json({{"steps", r.steps}, {"final_loss", r.final_loss},
                                               {"tokens_per_second", r.tokens_per_second},
                                               {"train_seconds", r.train_seconds}, {"examples", r.examples}})
                                                .dump(2));
        outcome.steps_run++;
      } else {
        Progress("train sft (seed " + std::to_string(seed) + "): done earlier, skipped");
        outcome.steps_skipped++;
      }
      json done = util::ReadJsonFile(sft_done);
      profiler.Add("train:sft:seed" + std::to_string(seed), std::chrono::duration<double>(Clock::now() - start).count(),
                   CpuSeconds() - cpu0, done.value("tokens_per_second", 0.0), "training tokens/s", skipped);
      std::vector<json> points;
      AppendJsonLinesIfPresent(sft_dir + "/metrics.jsonl", &points);
      training_logs.push_back({{"method", "sft"}, {"task", "all"}, {"seed", seed}, {"points", points}});
    }
    const tokenizer::Tokenizer tok = tokenizer::Tokenizer::Load(sft_dir + "/tokenizer.json");

    // 2. The untrained base model: SFT's architecture and tokenizer, the seed's initial weights.
    const std::string base_dir = out_dir + "/train/base-" + StepKey({{"from", sft_dir}, {"seed", seed}});
    if (!util::FileExists(base_dir + "/config.json")) {
      ModelConfig model_config = ReadCheckpointConfig(sft_dir + "/checkpoint");
      LlamaForCausalLM base = BuildModel(model_config, RuntimeConfig{"cpu", "float32", threads}, seed);
      SaveCheckpoint(base_dir, base, tok.ToJson());
      outcome.steps_run++;
    }
    std::map<std::string, std::string> checkpoints = {{"base", base_dir}, {"sft", sft_dir + "/checkpoint"}};

    // 3. Evaluations: every method × task, greedy and sampled.
    for (const auto& method : config.methods) {
      LlamaForCausalLM model = LoadCheckpoint(checkpoints.at(method), RuntimeConfig{"cpu", "float32", threads});
      for (const auto& t : config.tasks) {
        const tasks::Task& task = tasks::FindTask(t.task);
        const auto& records = test_sets.at(t.task);
        std::vector<std::pair<std::string, EvalOptions>> modes;
        EvalOptions base_options;
        base_options.max_new_tokens = config.eval.max_new_tokens;
        base_options.seed = seed;
        base_options.template_name = t.template_name;
        if (config.eval.greedy) modes.emplace_back("greedy", base_options);
        if (config.eval.k > 0) {
          EvalOptions sampled = base_options;
          sampled.k = config.eval.k;
          sampled.temperature = config.eval.temperature;
          sampled.top_p = config.eval.top_p;
          modes.emplace_back("sampled", sampled);
        }
        for (auto& [mode, options] : modes) {
          const std::string key = StepKey({{"checkpoint", checkpoints.at(method)}, {"task", t.task},
                                           {"task_version", task.version()}, {"mode", mode},
                                           {"records", records.size()}, {"test", t.test_file}, {"template", t.template_name},
                                           {"eval", config_json["eval"]}, {"seed", seed}});
          const std::string dir = out_dir + "/eval/" + method + "-" + t.task + "-" + mode + "-" + key;
          const auto start = Clock::now();
          const double cpu0 = CpuSeconds();
          bool skipped = util::FileExists(dir + "/result.json");
          if (!skipped) {
            Progress("eval " + method + " on " + t.task + " (" + mode + ", n=" + std::to_string(records.size()) +
                     (options.k > 1 ? ", k=" + std::to_string(options.k) : "") + ")");
            if (records.front().kind == tasks::AnswerKind::kCode) {
              options.code_grader = code_grader(config.eval.sandbox_timeout, &sandbox_layers);
            }
            EvalOutput e = EvaluateModel(model, tok, task, records, options);
            for (auto& s : e.scored.samples) {
              s["method"] = method;
              s["model"] = config.sft.value("preset", std::string("nano"));
              s["seed"] = seed;
              s["mode"] = mode;
            }
            json result = {{"metrics", e.scored.metrics}, {"n", e.scored.n}, {"k", e.scored.k},
                           {"preset", e.scored.preset}, {"variant", records.front().variant},
                           {"generated_tokens", e.generated_tokens}, {"generate_seconds", e.generate_seconds},
                           {"tokens_per_second", e.generated_tokens_per_second},
                           {"completions_per_second", e.scored_completions_per_second}};
            util::WriteFileAtomic(dir + "/samples.jsonl", util::ToJsonLines(e.scored.samples));
            util::WriteFileAtomic(dir + "/result.json", result.dump(2));
            outcome.steps_run++;
          } else {
            outcome.steps_skipped++;
          }
          json result = util::ReadJsonFile(dir + "/result.json");
          profiler.Add("generate:" + method + ":" + t.task + ":" + mode,
                       std::chrono::duration<double>(Clock::now() - start).count(), CpuSeconds() - cpu0,
                       result.value("tokens_per_second", 0.0), "generated tokens/s", skipped);
          reports::ResultRow row;
          row.task = t.task;
          row.variant = result.value("variant", "");
          row.method = method;
          row.model = config.sft.value("preset", std::string("nano"));
          row.seed = seed;
          row.n = result["n"];
          row.template_name = t.template_name.empty() ? task.templates().front() : t.template_name;
          row.extraction_preset = result["preset"];
          row.k = result["k"];
          // One row per (method, task, seed): greedy gives accuracy, the sampled run adds the @k metrics.
          auto existing = std::find_if(rows.begin(), rows.end(), [&](const reports::ResultRow& r) {
            return r.task == row.task && r.method == row.method && r.seed == row.seed;
          });
          if (existing == rows.end()) {
            rows.push_back(row);
            existing = rows.end() - 1;
          }
          for (const auto& [name, value] : result["metrics"].items()) {
            const bool at_k = name.find('@') != std::string::npos;
            if (mode == "greedy" && !at_k) existing->metrics[name] = value;
            if (mode == "sampled" && (at_k || !config.eval.greedy)) existing->metrics[name] = value;
            if (mode == "sampled" && name.rfind("accuracy", 0) == 0) existing->metrics["sampled_" + name] = value;
          }
          if (mode == "sampled") existing->k = row.k;
          std::vector<json> samples;
          AppendJsonLinesIfPresent(dir + "/samples.jsonl", &samples);
          if (mode == "greedy" || !config.eval.greedy) {
            for (auto& s : samples) all_samples.push_back(std::move(s));
          }
        }
      }
    }
  }

  // 4. Results, profile and report.
  json environment = reports::EnvironmentJson();
  auto info = GetTorchBuildInfo();
  environment["torch_version"] = info.torch_version;
  environment["torch_threads"] = info.intra_op_threads;
  environment["torch_interop_threads"] = info.inter_op_threads;
  environment["torch_parallel_info"] = info.parallel_info;
  // How idle threads wait; harness sets both where unset (harness/cli/openmp_env.h): PASSIVE and 4.
  for (const auto& [key, variable] : {std::pair{"omp_wait_policy", "OMP_WAIT_POLICY"},
                                      std::pair{"openblas_thread_timeout", "OPENBLAS_THREAD_TIMEOUT"}}) {
    const char* value = std::getenv(variable);
    environment[key] = value ? value : "";
  }
  if (!sandbox_layers.is_null()) environment["sandbox"] = sandbox_layers;
  json doc = reports::MakeResultsDocument(config_json, rows, environment);
  const double wall = std::chrono::duration<double>(Clock::now() - run_start).count();
  doc["profile"] = {{"phases", profiler.phases()}, {"total_wall_seconds", wall}};
  doc["training_logs"] = training_logs;
  outcome.results_path = out_dir + "/results.json";
  util::WriteFileAtomic(out_dir + "/samples.jsonl", util::ToJsonLines(all_samples));
  util::WriteFileAtomic(out_dir + "/profile.json", doc["profile"].dump(2) + "\n");
  util::WriteFileAtomic(outcome.results_path, doc.dump(2) + "\n");
  reports::ReportOptions report_options;
  report_options.title = "harness run: " + config.name;
  if (!history_db.empty()) {
    reports::AppendRun(history_db, doc, outcome.results_path);
    report_options.history_path = history_db;
  }
  outcome.report_path = out_dir + "/report.html";
  util::WriteFileAtomic(outcome.report_path, reports::RenderHtmlReport({doc}, {all_samples}, report_options));
  outcome.wall_seconds = wall;
  return outcome;
}

}  // namespace trainers
