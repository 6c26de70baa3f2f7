// `harness synth --task T --split train|test --n N --seed S [--style ...] [--steps K] [--out
// FILE]`: writes a synthetic split in the benchmark's own published format (see
// tasks/synth/synth.h).
#include <iostream>
#include <memory>

#include "harness/cli/command.h"
#include "tasks/synth/synth.h"

namespace cli {

namespace {

struct SynthArgs {
  tasks::synth::SynthOptions options;
  std::string out;
};

int RunSynth(const SynthArgs& args) {
  if (args.out.empty()) {
    std::cout << tasks::synth::SynthesizeFile(args.options);
    return kOk;
  }
  tasks::synth::WriteSynthetic(args.options, args.out);
  std::cerr << "wrote " << args.options.n << " " << args.options.task << " " << args.options.split
            << " problems to " << args.out << "\n";
  return kOk;
}

}  // namespace

void RegisterSynthCommand(CLI::App& app, Action* selected) {
  auto* cmd = app.add_subcommand(
      "synth", "Write a seeded synthetic train/test split in a benchmark's format");
  auto args = std::make_shared<SynthArgs>();
  std::string names;
  for (const auto& n : tasks::synth::SynthTaskNames()) names += (names.empty() ? "" : ", ") + n;
  cmd->add_option("--task", args->options.task, "Task family: " + names)->required();
  cmd->add_option("--split", args->options.split,
                  "train or test (disjoint by normalised question text)")
      ->capture_default_str();
  cmd->add_option("--n", args->options.n, "Number of problems")->capture_default_str();
  cmd->add_option("--seed", args->options.seed, "Seed of the problem stream")
      ->capture_default_str();
  cmd->add_option("--style", args->options.style,
                  "Extra solutions per record: ncot, ncot-check (multiple choice checks each option), pcot, mixed (expert + sub-optimal), tool, "
                  "ncot-tool (the solution, then a Python program recomputing it and its output); none by default");
  cmd->add_option("--steps", args->options.steps,
                  "Reasoning steps per problem (0 = the task's default range; livecodebench: 1 "
                  "easy .. 3 hard)")
      ->capture_default_str();
  cmd->add_option(
         "--max-value", args->options.max_value,
         "Scale of the numbers a problem states (gsm8k/svamp: the largest); 0 = task default")
      ->capture_default_str();
  cmd->add_option("--suboptimal", args->options.suboptimal,
                  "mixed: sub-optimal solutions per problem")
      ->capture_default_str();
  cmd->add_option("--wrong-rate", args->options.wrong_rate,
                  "mixed: probability that a sub-optimal solution's final answer is wrong")
      ->capture_default_str();
  cmd->add_option("--tool-share", args->options.tool_share,
                  "ncot/ncot-check: share of problems whose solution is the ncot-tool one; livecodebench: the debug "
                  "trajectory (the program run on a sample with the tool); drawn per problem")
      ->capture_default_str();
  cmd->add_option("--lookup-share", args->options.lookup_share,
                  "mathqa/agieval/gpqa: share of problems asked as option-lookup drills ('Which option is 36?', "
                  "the same options, no steps; drawn per problem)")
      ->capture_default_str();
  cmd->add_option("--out", args->out, "Output file (written atomically); stdout when omitted");
  cmd->callback([selected, args] { *selected = [args] { return RunSynth(*args); }; });
}

}  // namespace cli
