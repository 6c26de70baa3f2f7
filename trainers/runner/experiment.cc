// The experiment runner's main loop, top to bottom:
//   for each seed: 0. the test sets (synthetic test splits, or the given files)
//                  1. the training settings: the config's training section + every task's train split
//                  2. train every method once, parents first (the registry's dependency graph), each a
//                     step keyed by its inputs and reused when done
//                  3. evaluate every requested method on every task it trains on: greedy (accuracy) and
//                     k samples (maj@k, pass@k, avg@k), with the method's inference condition, and over the
//                     config's held-out difficulty grid
//                  (a method that trains on none of the run's tasks, e.g. a control study on a toy
//                  environment, is evaluated on none: its training summary's "study" goes to results.json
//                  "studies" instead, see reports/study.h; a method without a checkpoint, a served model,
//                  is neither trained nor loaded: its EvalSpec::evaluate generates and scores)
//   (each trained method's checkpoint is also reachable as OUT/checkpoints/<method>-seed<seed>)
//   then: merge rows into results.json / samples.jsonl, write profile.json and report.html.
// The runner knows methods only through the registry (trainers/methods/registry.h).
#include "trainers/runner/experiment.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <iostream>
#include <utility>

#include <torch/torch.h>

#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "reports/history.h"
#include "reports/html_report.h"
#include "reports/results.h"
#include "reports/study.h"
#include "tasks/registry.h"
#include "tasks/synth/synth.h"
#include "trainers/build_info.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/distributed/world.h"
#include "trainers/eval/evaluate.h"
#include "trainers/eval/held_out.h"
#include "trainers/methods/registry.h"
#include "trainers/model/llama.h"
#include "trainers/model/train_ops.h"
#include "trainers/model/vec_math.h"
#include "trainers/rl/reward_model.h"
#include "trainers/sft/sft_data.h"
#include "trainers/sft/sft_trainer.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Step keys: the first 12 hex digits of the SHA-256 of the step's canonical inputs.
std::string StepKey(const json& inputs) { return util::Sha256Hex(inputs.dump()).substr(0, 12); }

// OUT/checkpoints/<method>-seed<seed>: a relative symbolic link to the method's trained checkpoint, so that
// another config can start from it (training.init_checkpoint) by a name that does not change when a new
// version of the code keys the step differently. Replaced atomically (a new link renamed over the old).
void LinkCheckpoint(const std::string& out_dir, const std::string& method, uint64_t seed,
                    const std::string& checkpoint) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(out_dir) / "checkpoints";
  fs::create_directories(dir);
  const fs::path link = dir / (method + "-seed" + std::to_string(seed));
  const fs::path target = fs::relative(fs::absolute(checkpoint), fs::absolute(dir));
  const fs::path temporary = dir / ("." + link.filename().string() + ".tmp." + std::to_string(::getpid()));
  fs::remove(temporary);
  fs::create_directory_symlink(target, temporary);
  fs::rename(temporary, link);
}

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
           bool skipped, const json& extra = json::object()) {
    json phase = {{"name", name}, {"wall_seconds", wall}, {"cpu_seconds", cpu}, {"throughput", throughput},
                  {"unit", unit}, {"peak_rss_bytes", PeakRssBytes()}, {"skipped", skipped}};
    phase.update(extra);
    phases_.push_back(std::move(phase));
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

// The methods to train, parents first: every requested method and the chain it starts from.
std::vector<const Method*> TrainingOrder(const std::vector<std::string>& requested) {
  std::vector<const Method*> order;
  std::function<void(const Method&, int)> visit = [&](const Method& m, int depth) {
    if (depth > 32) throw std::logic_error("method dependency cycle at " + m.name());
    if (std::find(order.begin(), order.end(), &m) != order.end()) return;
    if (!m.starts_from().empty()) visit(FindMethod(m.starts_from()), depth + 1);
    order.push_back(&m);
  };
  for (const auto& name : requested) visit(FindMethod(name), 0);
  return order;
}

// Test sets: the given files, or synthetic test splits written per (task, n, steps, max_value, seed) and read
// back through the task loaders.
std::map<std::string, std::vector<tasks::Record>> TestSets(const ExperimentConfig& config, uint64_t seed,
                                                           const std::string& out_dir) {
  std::map<std::string, std::vector<tasks::Record>> test_sets;
  for (const auto& t : config.tasks) {
    std::vector<tasks::Record> records;
    if (!t.test_file.empty()) {
      tasks::LoadOptions load;
      load.path = t.test_file;
      load.shuffle_seed = seed;
      records = tasks::FindTask(t.task).Load(load);
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
      records = WriteAndLoadSynthetic(synth, out_dir + "/data/" + key + "_" + SyntheticFileName(t.task, "test"), seed);
    }
    if (t.test_limit > 0 && static_cast<int>(records.size()) > t.test_limit) records.resize(t.test_limit);
    test_sets[t.task] = std::move(records);
  }
  return test_sets;
}

// The settings every trainer of one seed gets: the training section, every task's synthetic train split
// (natural-language chains of thought, ReFT's N-CoT; LiveCodeBench items carry a reference program).
SftConfig RunSettings(const ExperimentConfig& config, uint64_t seed, int threads) {
  SftConfig settings = config.training;
  settings.seed = seed;
  settings.threads = threads;
  settings.train.clear();
  for (const auto& t : config.tasks) {
    if (t.train_n <= 0) continue;
    DataSource source;
    source.task = t.task;
    source.synthetic_n = t.train_n;
    source.synthetic_seed = seed;
    source.steps = t.steps;
    source.max_value = t.max_value;
    source.template_name = t.template_name;
    source.style = tasks::GradedByTests(t.task) ? "" : t.style;
    source.tool_share = t.tool_share;
    source.lookup_share = t.lookup_share;
    settings.train.push_back(source);
  }
  return settings;
}

struct TrainedStep {
  std::string checkpoint;
  std::string key;
};

// Whether the method trains on (and so is evaluated on) any of the run's tasks; one that does not has no
// model to load for step 3.
bool TrainsOnAnyTask(const ExperimentConfig& config, const Method& m, const json& options) {
  return std::any_of(config.tasks.begin(), config.tasks.end(),
                     [&](const ExperimentTask& t) { return m.TrainsOn(t.task, options); });
}

// A requested method's study (its training summary's "study", tagged with method and seed) joins the
// run's "studies"; checked here so that a malformed one fails at its step, naming its DONE.json.
void CollectStudy(const ExperimentConfig& config, const std::string& method, uint64_t seed, const json& summary,
                  const std::string& done_path, json& studies) {
  if (std::find(config.methods.begin(), config.methods.end(), method) == config.methods.end()) return;
  json study = reports::StudyEntry(summary, method, seed, done_path);
  if (!study.is_null()) studies.push_back(std::move(study));
}

// One evaluation step keyed by its directory: runs `produce` (its result and samples) unless
// <dir>/result.json exists, writes both atomically, counts the step as run or skipped, and returns the
// result as stored. Data parallel: every rank produces (the evaluation is sharded inside), rank 0 writes,
// and the others read what it wrote after the barrier.
json KeyedEvalStep(const std::string& dir, ExperimentOutcome& outcome, bool* skipped,
                   const std::function<std::pair<json, std::vector<json>>()>& produce) {
  *skipped = util::FileExists(dir + "/result.json");
  if (!*skipped) {
    auto [result, samples] = produce();
    if (dist::IsWriter()) {
      util::WriteJsonLinesAtomic(dir + "/samples.jsonl", samples);
      util::WriteFileAtomic(dir + "/result.json", result.dump(2));
    }
    dist::Barrier("evaluation " + dir);
    outcome.steps_run++;
  } else {
    outcome.steps_skipped++;
  }
  return util::ReadJsonFile(dir + "/result.json");
}

// Held-out difficulty: greedy accuracy of one trained model on a synthetic test split per (task, steps,
// max_value) cell of the config's grid, each cell an evaluation step keyed like the others. Returns one
// object per cell; `trained` marks the cell whose knobs equal the task's own training knobs.
json EvaluateDifficultyGrid(const ExperimentConfig& config, const std::string& method, const TrainedStep& step,
                            const std::string& prompt_prefix, uint64_t seed, const EvaluateFn& evaluate,
                            const std::string& out_dir,
                            const std::function<scoring::CodeGrader()>& code_grader, Profiler& profiler,
                            ExperimentOutcome& outcome) {
  json cells = json::array();
  const ExperimentDifficulty& grid = config.difficulty;
  if (!grid.methods.empty() && std::find(grid.methods.begin(), grid.methods.end(), method) == grid.methods.end()) {
    return cells;
  }
  for (const auto& task_name : grid.tasks) {
    const ExperimentTask& t = *std::find_if(config.tasks.begin(), config.tasks.end(),
                                            [&](const ExperimentTask& x) { return x.task == task_name; });
    const tasks::Task& task = tasks::FindTask(t.task);
    for (int steps : grid.steps) {
      for (int max_value : grid.max_values) {
        json key_inputs = {{"trained", step.key}, {"prompt_prefix", prompt_prefix}, {"task", t.task},
                           {"task_version", task.version()}, {"steps", steps}, {"max_value", max_value},
                           {"n", grid.n}, {"template", t.template_name}, {"eval", ExperimentEvalFields().ToJson(config.eval)},
                           {"seed", seed}};
        const bool program_answers = tasks::synth::AnswersByProgram(t.style);
        if (program_answers) key_inputs["answers"] = "program";  // P-CoT (earlier keys unchanged)
        const std::string key = StepKey(key_inputs);
        const std::string dir = out_dir + "/eval/grid-" + method + "-" + t.task + "-s" + std::to_string(steps) +
                                "-v" + std::to_string(max_value) + "-" + key;
        const auto start = Clock::now();
        const double cpu0 = CpuSeconds();
        bool skipped = false;
        const json result = KeyedEvalStep(dir, outcome, &skipped, [&] {
          Progress("difficulty grid: " + method + " on " + t.task + " steps " + std::to_string(steps) +
                   ", max_value " + std::to_string(max_value) + " (n=" + std::to_string(grid.n) + ")");
          tasks::synth::SynthOptions synth;
          synth.task = t.task;
          synth.split = "test";
          synth.n = grid.n;
          synth.seed = seed;
          synth.steps = steps;
          synth.max_value = max_value;
          const auto records = WriteAndLoadSynthetic(synth, dir + "/" + SyntheticFileName(t.task, "test"), seed);
          EvalOptions options;
          options.max_new_tokens = config.eval.max_new_tokens;
          options.seed = seed;
          options.template_name = t.template_name;
          options.prompt_prefix = prompt_prefix;
          if (records.front().kind == tasks::AnswerKind::kCode) options.code_grader = code_grader();
          options.program_answers = program_answers;
          EvalOutput e = evaluate(task, records, options, dir);
          long correct = 0;
          for (const auto& s : e.scored.samples) correct += s["correct"][0].get<bool>() ? 1 : 0;
          json cell = {{"n", e.scored.n}, {"correct", correct}, {"accuracy", e.scored.metrics["accuracy"]},
                       {"tokens_per_second", e.generated_tokens_per_second}};
          return std::make_pair(cell, e.scored.samples);
        });
        profiler.Add("grid:" + method + ":" + t.task + ":s" + std::to_string(steps) + ":v" + std::to_string(max_value),
                     std::chrono::duration<double>(Clock::now() - start).count(), CpuSeconds() - cpu0,
                     result.value("tokens_per_second", 0.0), "generated tokens/s", skipped);
        cells.push_back({{"task", t.task}, {"method", method}, {"seed", seed}, {"steps", steps},
                         {"max_value", max_value}, {"n", result["n"]}, {"correct", result["correct"]},
                         {"accuracy", result["accuracy"]},
                         {"trained", steps == t.steps && max_value == t.max_value}});
      }
    }
  }
  return cells;
}

}  // namespace

ExperimentOutcome RunExperiment(const ExperimentConfig& config, const std::string& out_dir,
                                const CodeGraderFactory& code_grader, const std::string& history_db) {
  const auto run_start = Clock::now();
  ExperimentOutcome outcome;
  util::MakeDirs(out_dir);
  const json config_json = ExperimentConfigToJson(config);
  if (dist::IsWriter()) util::WriteFileAtomic(out_dir + "/config.json", config_json.dump(2) + "\n");
  // Data parallel: the config's threads are the machine's, shared among the ranks on it.
  const int machine_threads = dist::ThreadsPerRank(config.threads) * dist::World().local_size;
  const int threads = SetTorchThreads(dist::ThreadsPerRank(config.threads));
  const std::vector<const Method*> order = TrainingOrder(config.methods);
  const std::string model_name = config.training.init_checkpoint.empty() ? config.training.preset
                                                                         : config.training.init_checkpoint;
  Profiler profiler;
  std::vector<reports::ResultRow> rows;
  std::vector<json> all_samples;
  json training_logs = json::array();
  json difficulty_cells = json::array();
  json studies = json::array();
  json sandbox_layers;
  // The sandbox's test grader for code tasks, built where first needed (training, held-out curves, evaluation).
  const auto make_code_grader = [&] { return code_grader(config.eval.sandbox_timeout, &sandbox_layers); };

  for (uint64_t seed : config.seeds) {
    // 0. Test sets.
    const std::map<std::string, std::vector<tasks::Record>> test_sets = TestSets(config, seed, out_dir);

    // 1. Training settings, and every special token the run's methods need (the base tokenizer has them).
    const SftConfig settings = RunSettings(config, seed, threads);
    std::vector<std::string> specials;
    for (const Method* m : order) {
      for (const auto& token : m->SpecialTokens(MethodOptions(config, *m))) {
        if (std::find(specials.begin(), specials.end(), token) == specials.end()) specials.push_back(token);
      }
    }

    // 2. Train each method once, parents first.
    std::map<std::string, TrainedStep> trained;
    for (const Method* m : order) {
      const json options = MethodOptions(config, *m);
      if (!m->HasCheckpoint()) {  // a served model: nothing to train; its identity keys its evaluations
        trained[m->name()] = {"", StepKey({{"trainer", m->trainer()}, {"options", m->TrainingOptions(options)}})};
        continue;
      }
      TrainRequest request;
      request.settings = MethodTrainingSettings(config, settings, m->name());
      // A method that is not data-parallel trains on rank 0 alone while the others wait: it gets the
      // machine's threads (and so the training key of a one-rank run).
      const bool solo = dist::Active() && !m->DataParallel();
      if (solo) request.settings.threads = machine_threads;
      if (request.settings.eval_every > 0) {
        // Learning curves: every eval_every steps, greedy accuracy on the first eval_n test problems per task.
        std::vector<HeldOutSet> sets;
        for (const auto& t : config.tasks) {
          if (!m->TrainsOn(t.task, options)) continue;
          std::vector<tasks::Record> records = test_sets.at(t.task);
          if (static_cast<int>(records.size()) > request.settings.eval_n) records.resize(request.settings.eval_n);
          sets.push_back({&tasks::FindTask(t.task), std::move(records), t.template_name,
                          tasks::synth::AnswersByProgram(t.style)});
        }
        request.eval = HeldOutEvaluation(std::move(sets), config.eval.max_new_tokens, seed,
                                         m->Evaluation(options).prompt_prefix,
                                         make_code_grader);
      }
      request.options = options;
      request.special_tokens = specials;
      request.code_grader = make_code_grader;
      std::string parent_key;
      if (!m->starts_from().empty()) {
        const TrainedStep& parent = trained.at(m->starts_from());
        request.settings.init_checkpoint = parent.checkpoint;
        parent_key = parent.key;
      }
      json key_inputs = {{"trainer", m->trainer()}, {"options", m->TrainingOptions(options)},
                         {"settings", SftConfigToJson(request.settings)}, {"specials", specials},
                         {"parent", parent_key}};
      // Data-parallel training sums gradients in another order than one rank: another model.
      if (m->DataParallel() && dist::World().size > 1) key_inputs["world_size"] = dist::World().size;
      const std::string key = StepKey(key_inputs);
      request.out_dir = out_dir + "/train/" + m->trainer() + "-" + key;
      const std::string done_path = request.out_dir + "/DONE.json";
      const auto start = Clock::now();
      const double cpu0 = CpuSeconds();
      const bool skipped = util::FileExists(done_path);
      const std::string label = m->name() + " (seed " + std::to_string(seed) + ")";
      if (!skipped) {
        Progress("train " + label + " -> " + request.out_dir);
        const auto train = [&] {
          TrainOutput r = m->Train(request);
          if (dist::IsWriter()) {
            util::WriteFileAtomic(done_path, json({{"checkpoint", r.checkpoint_dir}, {"summary", r.summary}}).dump(2));
          }
        };
        // A data-parallel method trains on every rank; any other on rank 0 alone while the others wait.
        if (!solo) {
          train();
        } else if (dist::IsWriter()) {
          {
            dist::SoloScope scope;
            train();
          }
          SetTorchThreads(threads);
          dist::RootDone();
        } else {
          dist::WaitForRoot("train " + label);
        }
        dist::Barrier("after train " + label);
        outcome.steps_run++;
      } else {
        Progress("train " + label + ": done earlier, skipped");
        outcome.steps_skipped++;
      }
      const json done = util::ReadJsonFile(done_path);
      const TrainedStep& step = trained[m->name()] = {done["checkpoint"].get<std::string>(), key};
      if (dist::IsWriter() && !step.checkpoint.empty()) LinkCheckpoint(out_dir, m->name(), seed, step.checkpoint);
      // Optimizer steps per second of training time (the summary's own clock, so a resumed or skipped step
      // reports what its training measured).
      const json& summary = done["summary"];
      const double train_seconds = summary.value("train_seconds", 0.0);
      json extra = json::object();
      if (summary.contains("steps") && train_seconds > 0) {
        extra = {{"steps", summary["steps"]}, {"train_seconds", train_seconds},
                 {"steps_per_second", summary["steps"].get<double>() / train_seconds}};
      }
      if (summary.contains("breakdown")) extra["breakdown"] = summary["breakdown"];  // a trainer's own stages
      CollectStudy(config, m->name(), seed, summary, done_path, studies);
      profiler.Add("train:" + m->name() + ":seed" + std::to_string(seed),
                   std::chrono::duration<double>(Clock::now() - start).count(), CpuSeconds() - cpu0,
                   summary.value("tokens_per_second", 0.0), "training tokens/s", skipped, extra);
      std::vector<json> points;
      AppendJsonLinesIfPresent(request.out_dir + "/metrics.jsonl", &points);
      if (!points.empty()) {
        training_logs.push_back({{"method", m->name()}, {"task", "all"}, {"seed", seed}, {"points", points}});
      }
    }

    // 3. Evaluations: every requested method × every task it trains on, greedy and sampled (the sampled
    //    completions scored by the config's reranker, loaded on first use).
    std::unique_ptr<rl::RewardModelScorer> reranker;
    for (const auto& method : config.methods) {
      const Method& m = FindMethod(method);
      const json options = MethodOptions(config, m);
      if (!TrainsOnAnyTask(config, m, options)) continue;
      const EvalSpec spec = m.Evaluation(options);
      const TrainedStep& step = trained.at(method);
      // The engine on the method's checkpoint, or the method's own evaluation (a served model: nothing loaded).
      EvaluateFn evaluate = spec.evaluate;
      if (evaluate && dist::Active()) {
        // A served model batches on its own: rank 0 asks it, once; the other ranks wait at the step's barrier.
        evaluate = [inner = spec.evaluate](const tasks::Task& task, const std::vector<tasks::Record>& records,
                                           const EvalOptions& o, const std::string& dir) {
          return dist::IsWriter() ? inner(task, records, o, dir) : EvalOutput{};
        };
      }
      std::unique_ptr<tokenizer::Tokenizer> tok;
      LlamaForCausalLM model{nullptr};
      if (!evaluate) {
        tok = std::make_unique<tokenizer::Tokenizer>(tokenizer::Tokenizer::Load(step.checkpoint + "/tokenizer.json"));
        model = LoadCheckpoint(step.checkpoint, RuntimeConfig{"cpu", "float32", threads});
        evaluate = [&](const tasks::Task& task, const std::vector<tasks::Record>& records, const EvalOptions& o,
                       const std::string&) { return EvaluateModel(model, *tok, task, records, o); };
      }
      const std::string& evaluated_model = spec.model.empty() ? model_name : spec.model;
      for (const auto& t : config.tasks) {
        if (!m.TrainsOn(t.task, options)) continue;
        const tasks::Task& task = tasks::FindTask(t.task);
        const auto& records = test_sets.at(t.task);
        std::vector<std::pair<std::string, EvalOptions>> modes;
        EvalOptions base_options;
        base_options.max_new_tokens = config.eval.max_new_tokens;
        base_options.seed = seed;
        base_options.template_name = t.template_name;
        base_options.prompt_prefix = spec.prompt_prefix;
        base_options.generate = spec.generate;
        base_options.program_answers = tasks::synth::AnswersByProgram(t.style);
        if (config.eval.greedy) modes.emplace_back("greedy", base_options);
        const auto& sampled = config.eval.sampled_methods;
        const auto& sampled_tasks = config.eval.sampled_tasks;
        if (config.eval.k > 0 && (sampled.empty() || std::find(sampled.begin(), sampled.end(), method) != sampled.end()) &&
            (sampled_tasks.empty() || std::find(sampled_tasks.begin(), sampled_tasks.end(), t.task) != sampled_tasks.end())) {
          EvalOptions sampled = base_options;
          sampled.k = config.eval.k;
          if (!config.eval.reranker.empty()) {
            sampled.scorer = [&](const std::vector<std::string>& prompts,
                                 const std::vector<std::vector<std::string>>& completions) {
              if (!reranker) reranker = std::make_unique<rl::RewardModelScorer>(trained.at(config.eval.reranker).checkpoint, threads);
              return reranker->Score(prompts, completions);
            };
          }
          sampled.temperature = config.eval.temperature;
          sampled.top_p = config.eval.top_p;
          modes.emplace_back("sampled", sampled);
        }
        for (auto& mode_options : modes) {
          const std::string& mode = mode_options.first;
          EvalOptions& eval_options = mode_options.second;
          json key_inputs = {{"trained", step.key}, {"prompt_prefix", spec.prompt_prefix},
                                           {"task", t.task}, {"task_version", task.version()}, {"mode", mode},
                                           {"records", records.size()}, {"test", t.test_file},
                                           {"template", t.template_name}, {"eval", config_json["eval"]},
                                           {"seed", seed}};
          if (mode == "sampled" && !config.eval.reranker.empty()) key_inputs["reranker"] = trained.at(config.eval.reranker).key;
          if (!spec.generation.is_null()) key_inputs["generation"] = spec.generation;
          if (eval_options.program_answers) key_inputs["answers"] = "program";  // P-CoT (earlier keys unchanged)
          const std::string key = StepKey(key_inputs);
          const std::string dir = out_dir + "/eval/" + method + "-" + t.task + "-" + mode + "-" + key;
          const auto start = Clock::now();
          const double cpu0 = CpuSeconds();
          bool skipped = false;
          json result = KeyedEvalStep(dir, outcome, &skipped, [&] {
            Progress("eval " + method + " on " + t.task + " (" + mode + ", n=" + std::to_string(records.size()) +
                     (eval_options.k > 1 ? ", k=" + std::to_string(eval_options.k) : "") + ")");
            if (records.front().kind == tasks::AnswerKind::kCode) {
              eval_options.code_grader = make_code_grader();
            }
            EvalOutput e = evaluate(task, records, eval_options, dir);
            for (auto& s : e.scored.samples) {
              s["method"] = method;
              s["model"] = evaluated_model;
              s["seed"] = seed;
              s["mode"] = mode;
            }
            json produced = {{"metrics", e.scored.metrics}, {"n", e.scored.n}, {"k", e.scored.k},
                             {"preset", e.scored.preset}, {"variant", records.front().variant},
                             {"generated_tokens", e.generated_tokens}, {"generate_seconds", e.generate_seconds},
                             {"tokens_per_second", e.generated_tokens_per_second},
                             {"completions_per_second", e.scored_completions_per_second}};
            if (!e.generation_stats.empty()) produced["generation"] = e.generation_stats;
            return std::make_pair(produced, e.scored.samples);
          });
          profiler.Add("generate:" + method + ":" + t.task + ":" + mode,
                       std::chrono::duration<double>(Clock::now() - start).count(), CpuSeconds() - cpu0,
                       result.value("tokens_per_second", 0.0), "generated tokens/s", skipped,
                       result.value("generation", json::object()));
          reports::ResultRow row;
          row.task = t.task;
          row.variant = result.value("variant", "");
          row.method = method;
          row.model = evaluated_model;
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
      for (auto& cell : EvaluateDifficultyGrid(config, method, step, spec.prompt_prefix, seed, evaluate, out_dir,
                                               make_code_grader, profiler, outcome)) {
        difficulty_cells.push_back(std::move(cell));
      }
    }
  }

  // 4. Results, profile and report.
  json environment = reports::EnvironmentJson();
  // The hand-written CPU kernels' instruction set: their float sums differ between variants, so the same
  // config and seed give the same numbers only on machines with the same one.
  environment["cpu_kernels"] = kernels::CpuLevel() == 2 ? "avx512" : kernels::CpuLevel() == 1 ? "avx2" : "generic";
  if (dist::World().size > 1) {
    environment["world_size"] = dist::World().size;
    environment["launcher"] = dist::World().launcher;
    environment["ranks_per_machine"] = dist::World().local_size;
  }
  auto info = GetTorchBuildInfo();
  environment["torch_version"] = info.torch_version;
  environment["torch_threads"] = info.intra_op_threads;
  environment["torch_interop_threads"] = info.inter_op_threads;
  environment["torch_parallel_info"] = info.parallel_info;
  if (!info.blas_core.empty()) environment["blas_core"] = info.blas_core;  // it orders float sums too
  environment["linear_backend"] = FusedLinearBackend();  // the model's linear layers: oneDNN's sgemm or the BLAS
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
  if (!difficulty_cells.empty()) doc["difficulty"] = difficulty_cells;
  if (!studies.empty()) doc["studies"] = studies;
  outcome.results_path = out_dir + "/results.json";
  outcome.report_path = out_dir + "/report.html";
  outcome.wall_seconds = wall;
  if (!dist::IsWriter()) return outcome;  // rank 0 writes the run's files
  util::WriteJsonLinesAtomic(out_dir + "/samples.jsonl", all_samples);
  util::WriteFileAtomic(out_dir + "/profile.json", doc["profile"].dump(2) + "\n");
  util::WriteFileAtomic(outcome.results_path, doc.dump(2) + "\n");
  reports::ReportOptions report_options;
  report_options.title = "harness run: " + config.name;
  if (!history_db.empty()) {
    reports::AppendRun(history_db, doc, outcome.results_path);
    report_options.history_path = history_db;
  }
  util::WriteFileAtomic(outcome.report_path, reports::RenderHtmlReport({doc}, {all_samples}, report_options));
  return outcome;
}

}  // namespace trainers
