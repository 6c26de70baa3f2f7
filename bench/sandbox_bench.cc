// Sandbox throughput: checks/s of a trivial program through RunPython and through the LiveCodeBench
// grader with 1 and 2 workers, against bare `python3 -c pass` spawns (posix_spawn + wait, no
// isolation) measured in the same run. The ratio bare/sandboxed is the cost of the isolation layers.
#include <spawn.h>
#include <sys/wait.h>

#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "harness/sandbox/grader.h"
#include "harness/sandbox/sandbox.h"

extern char** environ;

namespace {

constexpr int kBatch = 16;  // programs per iteration, split across the workers

void RunOnWorkers(int workers, int count, const std::function<void(int)>& fn) {
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) {
    pool.emplace_back([&, w] {
      for (int i = w; i < count; i += workers) fn(i);
    });
  }
  for (auto& t : pool) t.join();
}

void BareSpawn() {
  const char* argv[] = {"/usr/bin/python3", "-c", "pass", nullptr};
  pid_t pid;
  if (posix_spawn(&pid, argv[0], nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return;
  int status;
  waitpid(pid, &status, 0);
}

void BM_BarePythonSpawn(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  for (auto _ : state) RunOnWorkers(workers, kBatch, [](int) { BareSpawn(); });
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_SandboxRunPython(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  sandbox::Limits limits;
  int failures = 0;
  for (auto _ : state) {
    RunOnWorkers(workers, kBatch, [&](int) {
      if (sandbox::RunPython("pass", "", limits).status != sandbox::Status::kPassed) ++failures;
    });
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["failures"] = failures;
}

void BM_LcbGradeTrivial(benchmark::State& state) {
  const int workers = static_cast<int>(state.range(0));
  tasks::Record record;
  record.id = "bench";
  record.source = "sandbox_bench";
  record.extra = {{"public_tests", {{{"input", "2 3\n"}, {"output", "5\n"}, {"testtype", "stdin"}}}},
                  {"private_tests", nlohmann::json::array()},
                  {"func_name", nullptr}};
  const std::string code = "a, b = map(int, input().split())\nprint(a + b)\n";
  std::vector<std::pair<const tasks::Record*, std::string>> jobs(kBatch, {&record, code});
  sandbox::Limits limits;
  int failures = 0;
  for (auto _ : state) {
    for (const auto& r : sandbox::GradeMany(jobs, limits, workers)) failures += !r.passed;
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["failures"] = failures;
}

}  // namespace

BENCHMARK(BM_BarePythonSpawn)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SandboxRunPython)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LcbGradeTrivial)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
