// Sandbox throughput: checks/s of a trivial program through RunPython (one-shot), through a fork
// server pool (pool.h) and through the LiveCodeBench grader with 1 and 2 workers, against baselines
// measured in the same run: bare `python3 -c pass` spawns (posix_spawn + wait, no isolation) and a
// LiveCodeBench-style runner (one started interpreter that forks a child per check and exec()s the
// code in it, no isolation at all), bare and with LiveCodeBench's runner imports loaded. BM_LcbTenTests grades 10-test stdin problems on one worker, fork
// server (second arg 1, zygote start included) against one interpreter per test (0), one problem per
// GradeMany call (first arg 1) or 16 (as in a scoring run, where the zygote start is shared); third
// arg 1: on a pool kept across calls (a trainer's code grader), whose zygote has already started.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include <memory>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "harness/sandbox/grader.h"
#include "harness/sandbox/pool.h"
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

void BM_ForkServerTrivial(benchmark::State& state) {
  sandbox::Pool pool(sandbox::PoolOptions{static_cast<int>(state.range(0)), true});
  sandbox::Limits limits;
  int failures = 0;
  auto batch = [&] {
    for (int i = 0; i < kBatch; ++i) pool.Submit({"pass", "", limits});
    while (auto v = pool.Next()) {
      failures += v->result.status != sandbox::Status::kPassed || v->result.runner != "fork-server";
    }
  };
  batch();  // the zygotes start outside the timed loop: this is the steady-state rate
  for (auto _ : state) batch();
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["failures"] = failures;
}

// A fork server's start: a fresh pool's first trivial job, from the pool's construction to its verdict
// (the zygote's interpreter, its imports and its warm-up, and the one job); the pool's stop is outside.
void BM_ForkServerStart(benchmark::State& state) {
  sandbox::Limits limits;
  int failures = 0;
  for (auto _ : state) {
    auto pool = std::make_unique<sandbox::Pool>(sandbox::PoolOptions{1, true});
    pool->Submit({"pass", "", limits});
    const auto verdict = pool->Next();
    state.PauseTiming();
    failures += verdict->result.status != sandbox::Status::kPassed || verdict->result.runner != "fork-server";
    pool.reset();
    state.ResumeTiming();
  }
  state.counters["failures"] = failures;
}

// LiveCodeBench's own runner keeps one interpreter and forks it per check. This one reads a line per
// check on stdin, forks, exec()s the code in the child, waits, and answers a line. Arg 0: a bare
// interpreter (only os and sys loaded). Arg 1: the interpreter holds what LiveCodeBench's runner
// module imports (lcb_runner/evaluation/testing_util.py: ast, json, faulthandler, platform, datetime,
// signal, io, unittest.mock, enum, and numpy where installed), as its process does when it forks; a
// fork costs in proportion to the parent's memory, so this is the like-for-like baseline for the
// fork server, whose zygote holds the modules LiveCodeBench's prelude imports.
void BM_LcbStyleForkRunner(benchmark::State& state) {
  const std::string imports =
      state.range(0) == 0 ? ""
                          : "import ast, json, faulthandler, platform, datetime, signal, io, unittest.mock, enum\n"
                            "try:\n    import numpy\nexcept ImportError:\n    pass\n";
  const std::string runner = imports +
      "import os, sys\n"
      "for line in sys.stdin:\n"
      "    pid = os.fork()\n"
      "    if pid == 0:\n"
      "        exec(compile('pass', '<check>', 'exec'), {'__name__': '__main__'})\n"
      "        os._exit(0)\n"
      "    os.waitpid(pid, 0)\n"
      "    sys.stdout.write('ok\\n')\n"
      "    sys.stdout.flush()\n";
  int to_child[2], from_child[2];
  if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) return state.SkipWithError("pipe");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(to_child[0], 0);
    ::dup2(from_child[1], 1);
    ::close(to_child[1]);
    ::close(from_child[0]);
    ::execl("/usr/bin/python3", "python3", "-c", runner.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);
  FILE* in = ::fdopen(from_child[0], "r");
  char line[16];
  auto check = [&] {
    if (::write(to_child[1], "x\n", 2) != 2 || std::fgets(line, sizeof line, in) == nullptr) state.SkipWithError("runner");
  };
  check();  // interpreter started
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) check();
  }
  ::close(to_child[1]);
  std::fclose(in);
  int status;
  ::waitpid(pid, &status, 0);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void BM_LcbTenTests(benchmark::State& state) {
  const int problems = static_cast<int>(state.range(0));
  const bool fork_server = state.range(1) != 0;
  const bool kept_pool = state.range(2) != 0;
  tasks::Record record;
  record.id = "bench10";
  record.source = "sandbox_bench";
  nlohmann::json tests = nlohmann::json::array();
  for (int t = 0; t < 10; ++t) {
    tests.push_back({{"input", std::to_string(t) + " " + std::to_string(2 * t) + "\n"},
                     {"output", std::to_string(3 * t) + "\n"},
                     {"testtype", "stdin"}});
  }
  record.extra = {{"public_tests", tests}, {"private_tests", nlohmann::json::array()}, {"func_name", nullptr}};
  const std::string code = "a, b = map(int, input().split())\nprint(a + b)\n";
  sandbox::Limits limits;
  int failures = 0;
  const std::vector<std::pair<const tasks::Record*, std::string>> jobs(problems, {&record, code});
  if (kept_pool) {
    // A pool the caller keeps (as a trainer's code grader does): its zygote starts in the first call,
    // outside the timed loop.
    sandbox::Pool pool(sandbox::PoolOptions{1, fork_server});
    for (const auto& r : sandbox::GradeMany(jobs, limits, pool)) failures += !r.passed;
    for (auto _ : state) {
      for (const auto& r : sandbox::GradeMany(jobs, limits, pool)) failures += !r.passed;
    }
  } else {
    for (auto _ : state) {
      for (const auto& r : sandbox::GradeMany(jobs, limits, 1, fork_server)) failures += !r.passed;
    }
  }
  state.SetItemsProcessed(state.iterations() * problems);
  state.counters["failures"] = failures;
}

}  // namespace

BENCHMARK(BM_ForkServerTrivial)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ForkServerStart)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LcbStyleForkRunner)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LcbTenTests)
    ->Args({1, 0, 0})
    ->Args({1, 1, 0})
    ->Args({1, 1, 1})
    ->Args({16, 0, 0})
    ->Args({16, 1, 0})->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BarePythonSpawn)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SandboxRunPython)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LcbGradeTrivial)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
