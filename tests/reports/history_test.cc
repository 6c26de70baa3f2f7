// The run-history store: append and reload, idempotent re-append, trends over the last N runs, schema
// version guard, and concurrent writers (threads and processes) losing nothing.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <atomic>
#include <thread>

#include "harness/util/error.h"
#include "harness/util/json_io.h"
#include "reports/history.h"
#include "test_helpers.h"

namespace {

nlohmann::json RunDoc(int index, double accuracy) {
  return {{"schema_version", 1},
          {"harness", {{"version", "0.1.0"}, {"git_commit", "c" + std::to_string(index)}}},
          {"created", "2026-11-24T18:00:" + std::string(index < 10 ? "0" : "") + std::to_string(index) + "Z"},
          {"config", {{"run", index}}},
          {"results",
           {{{"task", "gsm8k"}, {"method", "sft"}, {"model", "nano"}, {"seed", 1}, {"n", 10},
             {"metrics", {{"accuracy", accuracy}, {"accuracy_stderr", 0.1}}}},
            {{"task", "gsm8k"}, {"method", "sft"}, {"model", "nano"}, {"seed", 2}, {"n", 10},
             {"metrics", {{"accuracy", accuracy + 0.1}}}}}}};
}

std::string FreshDb(const std::string& name) {
  const std::string path = reports_test::OutputDir("history") + "/" + name + ".sqlite";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return path;
}

TEST(History, AppendAndTrend) {
  const std::string db = FreshDb("append");
  for (int i = 0; i < 5; ++i) reports::AppendRun(db, RunDoc(i, 0.1 * i));
  EXPECT_EQ(reports::CountRuns(db), 5);
  // Appending the same document again adds nothing.
  EXPECT_EQ(reports::AppendRun(db, RunDoc(4, 0.4)), reports::RunIdOf(RunDoc(4, 0.4)));
  EXPECT_EQ(reports::CountRuns(db), 5);

  const auto trends = reports::LoadTrend(db, 3);
  ASSERT_EQ(trends.size(), 1u);
  EXPECT_EQ(trends[0].metric, "accuracy");
  ASSERT_EQ(trends[0].points.size(), 3u);  // the last 3 runs, oldest first
  EXPECT_NEAR(trends[0].points[0].value, 0.25, 1e-12);  // run 2: mean of 0.2 and 0.3 over two seeds
  EXPECT_NEAR(trends[0].points[2].value, 0.45, 1e-12);
  EXPECT_EQ(trends[0].points[2].seeds, 2);
  EXPECT_EQ(trends[0].points[2].git_commit, "c4");
  EXPECT_TRUE(reports::LoadTrend(db, 10, "maj@8").empty());
}

TEST(History, RejectsBadInput) {
  const std::string db = FreshDb("bad");
  nlohmann::json bad = RunDoc(0, 0.5);
  bad["results"][0].erase("metrics");
  EXPECT_THROW(reports::AppendRun(db, bad), util::InputError);
  nlohmann::json v2 = RunDoc(0, 0.5);
  v2["schema_version"] = 2;
  EXPECT_THROW(reports::AppendRun(db, v2), util::InputError);
  EXPECT_THROW(reports::LoadTrend(reports_test::OutputDir("history") + "/missing.sqlite", 5), util::InputError);
  // A failed append leaves no half-written run behind.
  reports::AppendRun(db, RunDoc(1, 0.5));
  EXPECT_EQ(reports::CountRuns(db), 1);
}

TEST(History, ConcurrentThreadsLoseNothing) {
  const std::string db = FreshDb("threads");
  constexpr int kThreads = 4, kPerThread = 15;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        try {
          reports::AppendRun(db, RunDoc(100 * (t + 1) + i, 0.01 * i));
        } catch (const std::exception&) {
          failures++;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(reports::CountRuns(db), kThreads * kPerThread);
  const auto trends = reports::LoadTrend(db, 1000);
  ASSERT_EQ(trends.size(), 1u);
  EXPECT_EQ(trends[0].points.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(History, ConcurrentProcessesLoseNothing) {
  const std::string db = FreshDb("processes");
  constexpr int kProcesses = 3, kPerProcess = 15;
  std::vector<pid_t> children;
  for (int p = 0; p < kProcesses; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      for (int i = 0; i < kPerProcess; ++i) {
        try {
          reports::AppendRun(db, RunDoc(1000 * (p + 1) + i, 0.02 * i));
        } catch (const std::exception& e) {
          std::fprintf(stderr, "process %d append %d: %s\n", p, i, e.what());
          code = 1;
        }
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  EXPECT_EQ(reports::CountRuns(db), kProcesses * kPerProcess);
}

}  // namespace
