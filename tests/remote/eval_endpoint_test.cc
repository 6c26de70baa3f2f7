// `harness eval --endpoint`: flags checked before any work, a server error retried, a stalled server
// turned into a clear failure, and an interrupted evaluation resumed from its response cache without
// asking the server again for what it already answered.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <vector>

#include "harness/util/files.h"
#include "tests/remote/fake_server.h"

#include "tests/harness_process.h"

namespace {

namespace fs = std::filesystem;
using remote_test::FakeServer;

fs::path TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("eval_endpoint_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

// Runs the harness binary; its stderr goes to `err_path` (when given). Returns the exit code.
int RunHarness(const std::vector<std::string>& args, const std::string& err_path = "") {
  return testing_harness::SpawnHarness(args, "", err_path);
}

std::vector<std::string> EvalArgs(const std::string& url, const fs::path& out, int n = 6) {
  return {"eval", "--endpoint", url, "--model", "fake", "--task", "gsm8k", "--synthetic", std::to_string(n),
          "--max-new-tokens", "32", "--backoff", "0.01", "--out", out.string()};
}

std::vector<std::string> With(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

void AnswerFortyTwo(int, const nlohmann::json& body, httplib::Response& res) {
  FakeServer::Answer(body, "Some steps.\n#### 42", res);
}

TEST(EvalEndpoint, BadFlagsExitTwoBeforeAnyRequest) {
  FakeServer server(AnswerFortyTwo);
  const fs::path out = TempDir("bad_flags");
  EXPECT_EQ(RunHarness({"eval", "--endpoint", server.url(), "--task", "gsm8k", "--synthetic", "3", "--out",
                        out.string()}),
            2);  // no --model
  EXPECT_EQ(RunHarness(With(EvalArgs(server.url(), out), {"--checkpoint", "/nonexistent"})), 2);
  EXPECT_EQ(RunHarness(With(EvalArgs(server.url(), out), {"--concurrency", "0"})), 2);
  EXPECT_EQ(RunHarness(With(EvalArgs(server.url(), out), {"--request-timeout", "-1"})), 2);
  EXPECT_EQ(RunHarness(EvalArgs("ftp://127.0.0.1:1", out)), 2);
  EXPECT_EQ(server.requests(), 0);
}

TEST(EvalEndpoint, RetriesAServerErrorAndWritesResults) {
  FakeServer server([](int number, const nlohmann::json& body, httplib::Response& res) {
    if (number == 1) return FakeServer::Fail(500, res);
    AnswerFortyTwo(number, body, res);
  });
  const fs::path out = TempDir("retry");
  ASSERT_EQ(RunHarness(With(EvalArgs(server.url(), out), {"--concurrency", "1"})), 0);
  EXPECT_EQ(server.requests(), 7);  // 6 problems + 1 retried
  nlohmann::json results = nlohmann::json::parse(util::ReadFile((out / "results.json").string()));
  EXPECT_EQ(results["config"]["endpoint"], server.url());
  EXPECT_EQ(results["config"]["model"], "fake");
  EXPECT_EQ(results["results"][0]["n"], 6);
  EXPECT_TRUE(fs::exists(out / "samples.jsonl"));
}

TEST(EvalEndpoint, AStalledServerFailsClearlyWithoutHanging) {
  FakeServer* self = nullptr;
  FakeServer server([&self](int, const nlohmann::json&, httplib::Response&) { self->Stall(std::chrono::seconds(60)); });
  self = &server;
  const fs::path out = TempDir("stall");
  fs::create_directories(out);
  const std::string err = (out.parent_path() / "stall.err").string();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(RunHarness(With(EvalArgs(server.url(), out, 2), {"--request-timeout", "1", "--retries", "1"}), err), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(50));  // generous
  const std::string message = util::ReadFile(err);
  EXPECT_NE(message.find("failed after 2 attempts"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(out / "results.json"));
}

TEST(EvalEndpoint, AnInterruptedEvaluationResumesFromItsCache) {
  const fs::path out = TempDir("resume");
  {
    FakeServer dying([](int number, const nlohmann::json& body, httplib::Response& res) {
      if (number > 4) return FakeServer::Fail(500, res);
      AnswerFortyTwo(number, body, res);
    });
    EXPECT_EQ(RunHarness(With(EvalArgs(dying.url(), out), {"--concurrency", "1", "--retries", "0"})), 1);
    EXPECT_EQ(dying.requests(), 5);
  }
  FakeServer healthy(AnswerFortyTwo);
  ASSERT_EQ(RunHarness(With(EvalArgs(healthy.url(), out), {"--concurrency", "2"})), 0);
  EXPECT_EQ(healthy.requests(), 2);  // the 4 answered before the interruption come from the cache
  nlohmann::json results = nlohmann::json::parse(util::ReadFile((out / "results.json").string()));
  EXPECT_EQ(results["results"][0]["n"], 6);
  // A rerun needs the server for nothing.
  ASSERT_EQ(RunHarness(With(EvalArgs(healthy.url(), out), {"--concurrency", "2"})), 0);
  EXPECT_EQ(healthy.requests(), 2);
}

}  // namespace
