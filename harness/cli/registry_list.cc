#include "harness/cli/registry_list.h"

namespace cli {

// One explicit list; order is the order `harness --help` shows.
void RegisterAllCommands(CLI::App& app, Action* selected) {
  RegisterTasksCommand(app, selected);
#ifdef HARNESS_HAVE_PROMPTS_COMMAND
  RegisterPromptsCommand(app, selected);
#endif
#ifdef HARNESS_HAVE_SCORE_COMMAND
  RegisterScoreCommand(app, selected);
#endif
#ifdef HARNESS_HAVE_SANDBOX_COMMAND
  RegisterSandboxCommand(app, selected);
#endif
#ifdef HARNESS_HAVE_SYNTH_COMMAND
  RegisterSynthCommand(app, selected);
#endif
#ifdef HARNESS_HAVE_TOKENIZER_COMMAND
  RegisterTokenizerCommand(app, selected);
#endif
#ifdef HARNESS_HAVE_REPORT_COMMANDS
  RegisterReportCommands(app, selected);
#endif
#ifdef HARNESS_WITH_TORCH
  RegisterTorchCommands(app, selected);
  RegisterMethodCommands(app, selected);
  RegisterEvalCommand(app, selected);
  RegisterRunCommand(app, selected);
  RegisterServeCommand(app, selected);
#endif
}

}  // namespace cli
