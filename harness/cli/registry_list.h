// Registers every subcommand available in this build.
#pragma once

#include "harness/cli/command.h"

namespace cli {
void RegisterAllCommands(CLI::App& app, Action* selected);
}
