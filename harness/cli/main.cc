// The `harness` binary: parses the command line and runs one subcommand.
#include <cstdio>
#include <exception>
#include <iostream>

#include "harness/cli/command.h"
#include "harness/cli/openmp_env.h"
#include "harness/cli/registry_list.h"
#include "harness/util/build_version.h"
#include "harness/util/error.h"

int main(int argc, char** argv) {
  cli::EnsurePassiveThreadWaits(argv);
  CLI::App app{"harness: reproduce and evaluate reasoning fine-tuning methods (SFT, C-RLFT, ReFT, START, WSRL)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(HARNESS_VERSION) + " (" + util::GitCommit() + ")");
  cli::Action selected;
  cli::RegisterAllCommands(app, &selected);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? cli::kOk : cli::kBadInput;
  }
  try {
    return selected ? selected() : cli::kBadInput;
  } catch (const util::InputError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return cli::kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return cli::kRunFailed;
  }
}
