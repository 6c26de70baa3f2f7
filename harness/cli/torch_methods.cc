// `harness methods [--json]` and `harness train <method> --config FILE --out DIR`: both straight from the
// method registry (trainers/methods/registry.h); no method is named here.
#include <cstdio>
#include <iostream>
#include <memory>

#include "harness/cli/code_grading.h"
#include "harness/cli/command.h"
#include "harness/cli/torch_launch.h"
#include "harness/util/error.h"
#include "harness/util/json_io.h"
#include "tasks/registry.h"
#include "trainers/eval/evaluate.h"
#include "trainers/eval/held_out.h"
#include "trainers/distributed/world.h"
#include "trainers/methods/registry.h"
#include "trainers/sft/sft_data.h"
#include "trainers/sft/sft_trainer.h"

namespace cli {

namespace {

int ListMethods(bool as_json) {
  const nlohmann::json methods = trainers::DescribeMethods();
  if (as_json) {
    std::cout << methods.dump(2) << "\n";
    return kOk;
  }
  for (const auto& m : methods) {
    std::printf("%-22s starts from %-6s %s\n", m["name"].get<std::string>().c_str(),
                m["starts_from"].get<std::string>().empty() ? "-" : m["starts_from"].get<std::string>().c_str(),
                m["summary"].get<std::string>().c_str());
    if (!m["paper"].get<std::string>().empty()) std::printf("%-22s paper: %s\n", "", m["paper"].get<std::string>().c_str());
  }
  std::printf("\nOptions (the experiment config's section of that name; `harness train <method>` reads them\n"
              "from the same key of its config):\n");
  for (const auto& m : methods) {
    if (m["options"].empty() || m["name"] != m["options_section"]) continue;
    std::printf("  [%s]\n", m["options_section"].get<std::string>().c_str());
    for (const auto& o : m["options"]) {
      std::printf("    %-22s %-16s default %-10s %s\n", o["name"].get<std::string>().c_str(),
                  o["type"].get<std::string>().c_str(), o["default"].dump().c_str(), o["doc"].get<std::string>().c_str());
    }
  }
  std::printf("\nThe training scaffold's settings (the experiment config's \"training\" section):\n");
  for (const auto& o : trainers::SftSettingsFields().Describe()) {
    std::printf("    %-22s %-16s default %-10s %s\n", o["name"].get<std::string>().c_str(),
                o["type"].get<std::string>().c_str(), o["default"].dump().c_str(), o["doc"].get<std::string>().c_str());
  }
  return kOk;
}

struct TrainFlags {
  std::string config;
  std::string out;
  DistributedFlags distributed;
};

// The sandbox's test grader with the default flags (`harness train` has no grading flags of its own).
scoring::CodeGrader DefaultCodeGrader() {
  nlohmann::json sandbox_environment;
  return MakeCodeGrader(CodeGradingFlags{}, &sandbox_environment);
}

// Held-out evaluation every eval_every steps: greedy generation on the first eval_n problems of each eval
// source's test split, scored by the task's own extractor (trainers/eval/held_out.h).
trainers::EvalCallback HeldOutEvaluation(const trainers::SftConfig& config, const std::string& out_dir,
                                         const std::string& prompt_prefix) {
  std::vector<trainers::HeldOutSet> sets;
  for (const auto& source : config.eval) {
    auto records = trainers::LoadSourceRecords(source, "test", out_dir + "/data");
    if (static_cast<int>(records.size()) > config.eval_n) records.resize(config.eval_n);
    sets.push_back({&tasks::FindTask(source.task), std::move(records), source.template_name,
                    tasks::synth::AnswersByProgram(source.style)});
  }
  return trainers::HeldOutEvaluation(std::move(sets), config.eval_max_new_tokens, config.seed, prompt_prefix,
                                     DefaultCodeGrader);
}

// The config file holds the scaffold settings and data (an SFT config) plus, under the method's section
// key, the method's own options.
int RunTrain(const trainers::Method& method, const TrainFlags& flags) {
  util::Json json = util::ReadJsonFile(flags.config);
  if (!json.is_object()) util::ConfigError(flags.config, "(top level)", "expected an object");
  util::Json section = util::Json::object();
  const std::string key = method.options_section();
  if (!key.empty() && json.contains(key)) {
    section = json[key];
    json.erase(key);
  }
  trainers::TrainRequest request;
  request.out_dir = flags.out;
  request.settings = trainers::SftConfigFromJson(json, flags.config, /*require_data=*/method.TrainsTextModel());
  request.options = method.ResolveOptions(section, flags.config);
  request.special_tokens = method.SpecialTokens(request.options);
  const bool many = flags.distributed.nproc > 1 || dist::WorldFromEnvironment(dist::ProcessEnvironment()).size > 1;
  if (many && !method.DataParallel()) {
    throw util::InputError(util::Location{"", 0, "--nproc"},
                           method.name() + " does not train data-parallel (harness methods --json: data_parallel); "
                                           "run it as one process, or inside `harness run`, which trains it on rank 0");
  }
  if (const int launched = LaunchOrJoin(flags.distributed, flags.out + "/ranks"); launched >= 0) return launched;
  // The config's threads are the machine's, shared among the ranks on it.
  request.settings.threads = dist::ThreadsPerRank(request.settings.threads);
  request.eval = HeldOutEvaluation(request.settings, flags.out, method.Evaluation(request.options).prompt_prefix);
  request.code_grader = DefaultCodeGrader;
  trainers::TrainOutput out = method.Train(request);
  std::cerr << method.name() << ": " << out.summary.dump() << "\ncheckpoint in " << out.checkpoint_dir << "\n";
  return kOk;
}

}  // namespace

void RegisterMethodCommands(CLI::App& app, Action* selected) {
  {
    auto as_json = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand("methods", "List the training methods, their papers and options");
    cmd->add_flag("--json", *as_json, "Machine-readable listing");
    cmd->callback([selected, as_json] { *selected = [as_json] { return ListMethods(*as_json); }; });
  }
  auto* train = app.add_subcommand("train", "Train a model with one of the methods (harness methods lists them)");
  train->require_subcommand(1);
  auto flags = std::make_shared<TrainFlags>();
  for (const trainers::Method* method : trainers::AllMethods()) {
    if (!method->HasCheckpoint()) continue;  // a served model: nothing to train (harness run evaluates it)
    auto* cmd = train->add_subcommand(method->name(), method->summary());
    cmd->add_option("--config", flags->config,
                    std::string(method->TrainsTextModel() ? "Config JSON: the training settings and data (configs/sft_*.json)"
                                                          : "Config JSON: seed and threads (no training data needed)") +
                        (method->options_section().empty() ? std::string()
                                                           : ", plus \"" + method->options_section() + "\": {options}"))
        ->required();
    cmd->add_option("--out", flags->out, "Output directory (rerun into it to resume)")->required();
    AddDistributedFlags(cmd, &flags->distributed);
    cmd->callback([selected, flags, method] { *selected = [flags, method] { return RunTrain(*method, *flags); }; });
  }
}

}  // namespace cli
