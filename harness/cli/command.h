// How subcommands plug into the `harness` binary. Each command file defines one Register function
// that adds a CLI11 subcommand and, when that subcommand is chosen, stores the action to run.
// Actions return the process exit code: 0 ok, 1 run failed / regression, 2 bad input or usage.
// They throw util::InputError for bad input; main() turns that into a message and exit code 2.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace cli {

enum ExitCode : int { kOk = 0, kRunFailed = 1, kBadInput = 2 };

using Action = std::function<int()>;

// Torch-free commands.
void RegisterTasksCommand(CLI::App& app, Action* selected);
void RegisterPromptsCommand(CLI::App& app, Action* selected);
void RegisterScoreCommand(CLI::App& app, Action* selected);
void RegisterSandboxCommand(CLI::App& app, Action* selected);
void RegisterSynthCommand(CLI::App& app, Action* selected);
void RegisterTokenizerCommand(CLI::App& app, Action* selected);
void RegisterReportCommands(CLI::App& app, Action* selected);   // report, compare

// Commands that need the model engine; registered only when built with LibTorch.
void RegisterTorchCommands(CLI::App& app, Action* selected);    // init, generate, profile
void RegisterMethodCommands(CLI::App& app, Action* selected);    // methods, train <method>
void RegisterEvalCommand(CLI::App& app, Action* selected);       // eval
void RegisterRunCommand(CLI::App& app, Action* selected);        // run
void RegisterServeCommand(CLI::App& app, Action* selected);      // serve

}  // namespace cli
