// `harness score`: scores generations made elsewhere (our predictions jsonl or lm-eval samples_*.jsonl)
// against a task's data file. Writes DIR/results.json and DIR/samples.jsonl, only after every input has
// been validated and scored, so bad input leaves no partial output.
#include <cstdio>
#include <future>
#include <iostream>
#include <tuple>
#include <type_traits>

#include "harness/cli/code_grading.h"
#include "harness/cli/command.h"
#include "harness/cli/task_options.h"
#include "harness/scoring/scoring.h"
#include "harness/util/files.h"
#include "harness/util/hashing.h"
#include "harness/util/json_io.h"
#include "reports/results.h"
#include "tasks/registry.h"

namespace cli {

namespace {

struct ScoreFlags {
  TaskDataFlags data;
  std::string predictions;
  std::string preset;
  int k = 0;
  std::string model = "external";
  std::string method = "external";
  bool allow_missing = false;
  bool program_answers = false;
  CodeGradingFlags code;
  std::string out;
};

void PrintSummary(const std::string& task, const scoring::ScoredSet& scored) {
  std::printf("%-16s n=%-5d preset=%s k=%d\n", task.c_str(), scored.n, scored.preset.c_str(), scored.k);
  for (const auto& [name, value] : scored.metrics.items()) {
    if (!value.is_number() || name.find("_stderr") != std::string::npos) continue;
    std::string stderr_key = name + "_stderr";
    if (scored.metrics.contains(stderr_key)) {
      const auto& ci = scored.metrics[name + "_ci95"];
      std::printf("  %-24s %.4f ± %.4f  (95%% CI %.4f–%.4f)\n", name.c_str(), value.get<double>(),
                  scored.metrics[stderr_key].get<double>(), ci[0].get<double>(), ci[1].get<double>());
    } else {
      std::printf("  %-24s %.4f\n", name.c_str(), value.get<double>());
    }
  }
}

// The command's last act before the process ends: the inputs and samples (every completion held
// several times over) are left to the operating system, which takes them back at once, rather than
// freed allocation by allocation (about 20 ms of 150 for 21k completions; the idea of clang's
// -disable-free). Deliberate: nothing else runs after a command.
template <typename... T>
void LeaveToProcessExit(T&&... values) {
  [[maybe_unused]] auto* kept = new std::tuple<std::decay_t<T>...>(std::move(values)...);
}

int RunScore(const ScoreFlags& flags) {
  const tasks::Task& task = tasks::FindTask(flags.data.task);
  // The provenance hashes are independent of the scoring: computed meanwhile on their own threads.
  auto data_sha256 = std::async(std::launch::async, util::Sha256File, flags.data.data);
  auto predictions_sha256 = std::async(std::launch::async, util::Sha256File, flags.predictions);
  tasks::LoadOptions load = MakeLoadOptions(flags.data);
  std::vector<tasks::Record> records = task.Load(load);
  tasks::PromptOptions prompt_options = MakePromptOptions(task, flags.data);
  std::vector<scoring::Prediction> predictions = scoring::ReadPredictions(flags.predictions);

  scoring::ScoreOptions options;
  options.preset = flags.preset;
  options.k = flags.k;
  options.allow_missing = flags.allow_missing;
  options.include_broken = flags.data.include_broken;
  options.code_block = flags.code.code_block;
  nlohmann::json sandbox_environment;
  const tasks::AnswerKind kind = records.empty() ? tasks::AnswerKind::kNumeric : records.front().kind;
  if (flags.program_answers) {
    options.program_answers = true;
    options.program_runner = MakeProgramAnswerRunner(flags.code, task, kind, flags.data.data, &sandbox_environment);
  }
  if (kind == tasks::AnswerKind::kCode) options.code_grader = MakeCodeGrader(flags.code, &sandbox_environment);
  scoring::ScoredSet scored = scoring::Score(task, records, std::move(predictions), options,
                                             [&](const tasks::Record& r) { return task.RenderPrompt(r, prompt_options); });

  reports::ResultRow row;
  row.task = task.name();
  row.variant = records.front().variant;
  row.method = flags.method;
  row.model = flags.model;
  row.seed = flags.data.seed;
  row.n = scored.n;
  row.template_name = prompt_options.template_name;
  row.extraction_preset = scored.preset;
  row.k = scored.k;
  row.metrics = scored.metrics;

  nlohmann::json config = {{"command", "score"},
                           {"task", task.name()},
                           {"task_version", task.version()},
                           {"variant", row.variant},
                           {"template", row.template_name},
                           {"extraction_preset", scored.preset},
                           {"k", scored.k},
                           {"seed", flags.data.seed},
                           {"filters", load.filters},
                           {"data_file", flags.data.data},
                           {"data_sha256", data_sha256.get()},
                           {"predictions_file", flags.predictions},
                           {"predictions_sha256", predictions_sha256.get()},
                           {"records_in_data", records.size()},
                           {"excluded_broken", scored.excluded_broken},
                           {"missing_predictions", scored.missing.size()}};
  if (tasks::GradedByTests(row.task)) config["code_block"] = flags.code.code_block;
  if (flags.program_answers) config["answers"] = "program";
  nlohmann::json environment = reports::EnvironmentJson();
  if (!sandbox_environment.is_null()) environment["sandbox"] = sandbox_environment;

  for (auto& s : scored.samples) {
    s["method"] = row.method;
    s["model"] = row.model;
    s["seed"] = row.seed;
  }
  util::MakeDirs(flags.out);
  util::WriteJsonLinesAtomic(flags.out + "/samples.jsonl", scored.samples);
  util::WriteFileAtomic(flags.out + "/results.json",
                        reports::MakeResultsDocument(config, {row}, environment).dump(2) + "\n");
  PrintSummary(task.name(), scored);
  ReportExcludedBroken(scored.excluded_broken);
  if (!scored.missing.empty()) {
    std::cerr << "note: " << scored.missing.size() << " records had no prediction and were not scored\n";
  }
  std::cerr << "wrote " << flags.out << "/results.json and samples.jsonl\n";
  LeaveToProcessExit(std::move(records), std::move(predictions), std::move(scored));
  return kOk;
}

}  // namespace

void RegisterScoreCommand(CLI::App& app, Action* selected) {
  auto flags = std::make_shared<ScoreFlags>();
  auto* cmd = app.add_subcommand("score", "Score generations made elsewhere against a task's data");
  AddTaskDataFlags(cmd, &flags->data);
  cmd->add_option("--predictions", flags->predictions,
                  "jsonl {id, completions[], scores?[]} or lm-eval samples_*.jsonl")->required();
  cmd->add_option("--extract", flags->preset, "Extraction preset (default: the task's default)");
  cmd->add_option("--k", flags->k, "Samples per problem for maj@k/pass@k/avg@k (default: all present)");
  cmd->add_option("--model", flags->model, "Model name recorded in results")->capture_default_str();
  cmd->add_option("--method", flags->method, "Method name recorded in results")->capture_default_str();
  cmd->add_flag("--allow-missing", flags->allow_missing, "Score only records that have predictions");
  cmd->add_flag("--program-answers", flags->program_answers,
                "P-CoT: each completion is a Python program (up to its first blank line); the value it prints is the "
                "answer. Programs run in the sandbox, in parallel (--workers)");
  AddCodeGradingFlags(cmd, &flags->code);
  cmd->add_option("--out", flags->out, "Output directory for results.json and samples.jsonl")->required();
  cmd->callback([selected, flags] { *selected = [flags] { return RunScore(*flags); }; });
}

}  // namespace cli
