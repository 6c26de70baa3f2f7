// The `harness` binary: parses the command line and runs one subcommand. Built twice in a LibTorch
// build: `harness` (HARNESS_ENGINE_LAUNCHER; torch-free, so it starts at once) runs the torch-free
// commands and --version itself and hands everything else (the engine's commands, --help, unknown
// commands) to `harness-torch` (HARNESS_WITH_TORCH; every command), after setting the thread-wait
// environment LibTorch and OpenBLAS read when they load.
#include <malloc.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include "harness/cli/command.h"
#include "harness/cli/openmp_env.h"
#include "harness/cli/registry_list.h"
#include "harness/util/build_version.h"
#include "harness/util/error.h"

namespace {

// Whether the torch-free launcher runs this command line itself.
[[maybe_unused]] bool RunsHere(CLI::App& app, int argc, char** argv) {
  if (argc < 2) return false;
  const std::string first = argv[1];
  if (first == "--version") return true;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == first) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
#ifndef HARNESS_MIMALLOC
  // glibc's malloc (the engine binary): each heap growth pads by 64 MB of address space (pages are
  // touched only when used): allocation-heavy commands (`harness score` on 21k completions builds
  // ~40 MB in small pieces) otherwise grow the heap in thousands of brk/mprotect steps, each under the
  // address-space lock both threads contend for (measured: 0.134-0.147 s -> 0.118 s per score run).
  // The torch-free binary allocates through mimalloc instead (harness/cli/CMakeLists.txt).
  mallopt(M_TOP_PAD, 64 << 20);
#endif
  CLI::App app{"harness: reproduce and evaluate reasoning fine-tuning methods (SFT, C-RLFT, ReFT, START, WSRL)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(HARNESS_VERSION) + " (" + util::GitCommit() + ")");
  cli::Action selected;
  cli::RegisterAllCommands(app, &selected);
#ifdef HARNESS_ENGINE_LAUNCHER
  if (!RunsHere(app, argc, argv)) return cli::ExecEngineBinary(argv);
#endif
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
