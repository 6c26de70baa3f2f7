// `harness run [CONFIG] [--out DIR]`: runs an experiment; with no CONFIG, the built-in default
// (configs/default.json, compiled in so the binary works from any directory).
#include <iostream>
#include <memory>

#include "harness/cli/code_grading.h"
#include "harness/cli/command.h"
#include "harness/cli/torch_launch.h"
#include "default_config.h"  // generated: configs/default.json as kDefaultConfigJson
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/runner/experiment.h"
#include "trainers/runner/experiment_config.h"

namespace cli {

namespace {

struct RunFlags {
  std::string config;
  std::string out;
  std::string history;
  bool print_config = false;
  DistributedFlags distributed;
};

int RunRun(const RunFlags& flags) {
  std::string source = flags.config.empty() ? "configs/default.json (built in)" : flags.config;
  util::Json json = flags.config.empty() ? util::Json::parse(kDefaultConfigJson) : util::ReadJsonFile(flags.config);
  trainers::ExperimentConfig config = trainers::ExperimentConfigFromJson(json, source);
  if (flags.print_config) {
    std::cout << trainers::ExperimentConfigToJson(config).dump(2) << "\n";
    return kOk;
  }
  const std::string out = flags.out.empty() ? "results/" + config.name : flags.out;
  if (const int launched = LaunchOrJoin(flags.distributed, out + "/ranks"); launched >= 0) return launched;
  auto grader = [](double timeout, nlohmann::json* layers) {
    CodeGradingFlags code;
    code.timeout_seconds = timeout;
    return MakeCodeGrader(code, layers);
  };
  trainers::ExperimentOutcome outcome = trainers::RunExperiment(config, out, grader, flags.history);
  std::cerr << "run finished in " << outcome.wall_seconds << " s (" << outcome.steps_run << " steps run, "
            << outcome.steps_skipped << " reused)\n"
            << "results: " << outcome.results_path << "\nreport:  " << outcome.report_path << "\n";
  return kOk;
}

}  // namespace

void RegisterRunCommand(CLI::App& app, Action* selected) {
  auto flags = std::make_shared<RunFlags>();
  auto* cmd = app.add_subcommand("run", "Run an experiment (methods x tasks x seeds); default: the built-in config");
  cmd->add_option("config", flags->config, "Experiment config JSON (default: configs/default.json, built in)");
  cmd->add_option("--out", flags->out, "Output directory (default: results/<name>); rerun to resume");
  cmd->add_option("--history", flags->history, "Append the run's rows to this SQLite history database");
  cmd->add_flag("--print-config", flags->print_config, "Print the fully resolved config and exit");
  AddDistributedFlags(cmd, &flags->distributed);
  cmd->callback([selected, flags] { *selected = [flags] { return RunRun(*flags); }; });
}

}  // namespace cli
