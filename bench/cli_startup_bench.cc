// Start-up cost of the `harness` binary: `harness --version` and `harness tasks` (torch-free, never
// load LibTorch) against `/bin/true` and, in a LibTorch build, `harness-torch --version` (the engine
// binary, which loads LibTorch as every command did before the split), spawned and waited for in the
// same run.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <string>
#include <vector>

#include <benchmark/benchmark.h>

extern char** environ;

namespace {

const std::string kBinDir = [] {
  const std::string harness = HARNESS_BINARY;
  return harness.substr(0, harness.rfind('/') + 1);
}();

// Runs argv to completion with stdout and stderr discarded; false when it could not start or failed.
bool RunQuietly(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return false;
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void BM_Start(benchmark::State& state, std::vector<std::string> args) {
  if (::access(args[0].c_str(), X_OK) != 0) return state.SkipWithError(("no " + args[0]).c_str());
  int failures = 0;
  for (auto _ : state) failures += !RunQuietly(args);
  state.counters["failures"] = failures;
}

}  // namespace

BENCHMARK_CAPTURE(BM_Start, bin_true, std::vector<std::string>{"/bin/true"})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Start, harness_version, std::vector<std::string>{kBinDir + "harness", "--version"})
    ->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Start, harness_tasks, std::vector<std::string>{kBinDir + "harness", "tasks"})
    ->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Start, engine_version, std::vector<std::string>{kBinDir + "harness-torch", "--version"})
    ->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
