// The `endpoint` method: `harness run` evaluating a model served by `harness serve` on the loopback, beside
// the same checkpoint evaluated locally (the `base` method with training.init_checkpoint): the same greedy
// and sampled completions and metrics; an interrupted evaluation resumed from the response cache in its
// step directory, also through another spelling of the server's address; bad options rejected (exit 2)
// before any request; a run of the endpoint alone trains and loads nothing.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/runner/experiment_config.h"

#include "tests/harness_process.h"
#include "tests/serve_process.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class EndpointRun : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("endpoint_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    checkpoint_ = (dir_ / "tiny").string();
    ASSERT_EQ(testing_harness::InitTinyCheckpoint(checkpoint_), 0);
    server_ = new testing_harness::ServeProcess(checkpoint_, (dir_ / "serve.out").string(), {"--max-batch", "8"});
  }

  static void TearDownTestSuite() { testing_harness::StopServer(server_, dir_); }

  void SetUp() override { ASSERT_GT(server_->port(), 0) << "harness serve did not start"; }

  // Six synthetic GSM8K problems; the served model beside the same checkpoint run locally (base).
  static json Config(const std::string& url) {
    return {{"name", "endpoint"},
            {"seeds", {7}},
            {"threads", 1},
            {"methods", {"base", "endpoint"}},
            {"tasks", {{{"task", "gsm8k"}, {"test_n", 6}, {"steps", 1}}}},
            {"training", {{"init_checkpoint", checkpoint_}}},
            {"eval", {{"greedy", true}, {"k", 2}, {"temperature", 0.8}, {"max_new_tokens", 24}}},
            {"endpoint", {{"url", url}, {"model", "tiny"}, {"concurrency", 3}, {"request_timeout", 120}}}};
  }

  static int Run(const json& config, const fs::path& out) {
    const fs::path path = out.string() + ".json";
    std::ofstream(path) << config.dump(2);
    return testing_harness::SpawnHarness({"run", path.string(), "--out", out.string()}, "",
                                         (out.string() + ".err"));
  }

  static fs::path dir_;
  static std::string checkpoint_;
  static testing_harness::ServeProcess* server_;
};

fs::path EndpointRun::dir_;
std::string EndpointRun::checkpoint_;
testing_harness::ServeProcess* EndpointRun::server_ = nullptr;

json ReadJson(const fs::path& path) { return json::parse(util::ReadFile(path.string())); }

// The evaluation step directory of `method` in `mode` (eval/<method>-gsm8k-<mode>-<key>).
fs::path StepDir(const fs::path& out, const std::string& method, const std::string& mode) {
  const std::string prefix = method + "-gsm8k-" + mode + "-";
  for (const auto& entry : fs::directory_iterator(out / "eval")) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) return entry.path();
  }
  ADD_FAILURE() << "no evaluation step " << prefix << " in " << out;
  return {};
}

// Completions by problem id.
std::map<std::string, json> Completions(const fs::path& step_dir) {
  std::map<std::string, json> out;
  for (const auto& line : util::ReadJsonLines((step_dir / "samples.jsonl").string())) {
    out[line.value["id"].get<std::string>()] = line.value["completions"];
  }
  return out;
}

const json& Row(const json& results, const std::string& method) {
  for (const auto& row : results["results"]) {
    if (row["method"] == method) return row;
  }
  static const json none;
  ADD_FAILURE() << "no row for " << method;
  return none;
}

TEST_F(EndpointRun, MatchesTheLocalCheckpointAndResumesFromItsCache) {
  const fs::path out = dir_ / "beside";
  const long long before = server_->Requests();
  ASSERT_EQ(Run(Config(server_->url()), out), 0) << util::ReadFile(out.string() + ".err");
  EXPECT_EQ(server_->Requests() - before, 12);  // 6 greedy + 6 sampled (n = 2)

  const json results = ReadJson(out / "results.json");
  const json& local = Row(results, "base");
  const json& served = Row(results, "endpoint");
  EXPECT_EQ(served["model"], "tiny");
  EXPECT_EQ(local["model"], checkpoint_);
  EXPECT_EQ(served["n"], 6);
  EXPECT_EQ(served["k"], 2);
  EXPECT_EQ(served["metrics"], local["metrics"]);
  for (const char* mode : {"greedy", "sampled"}) {
    SCOPED_TRACE(mode);
    const auto a = Completions(StepDir(out, "base", mode));
    const auto b = Completions(StepDir(out, "endpoint", mode));
    ASSERT_EQ(a.size(), 6u);
    EXPECT_EQ(a, b);
    for (const auto& [id, completions] : b) EXPECT_EQ(completions.size(), std::string(mode) == "greedy" ? 1u : 2u);
  }
  // Nothing trained or loaded for the served model: one training step (base's) in the run.
  EXPECT_EQ(std::distance(fs::directory_iterator(out / "train"), fs::directory_iterator()), 1);
  const fs::path greedy = StepDir(out, "endpoint", "greedy"), sampled = StepDir(out, "endpoint", "sampled");
  EXPECT_EQ(ReadJson(greedy / "result.json")["generation"]["requests_sent"], 6);
  const std::string samples = util::ReadFile((out / "samples.jsonl").string());
  EXPECT_NE(samples.find("\"model\":\"tiny\""), std::string::npos);

  // An interruption after three of the six greedy answers (and all the sampled ones): the steps' results
  // gone, the greedy cache cut to its first three lines. The rerun reaches the same server through another
  // spelling of its address (the address is not part of any key) and asks it only for the missing three.
  const std::string cache = (greedy / "remote_cache.jsonl").string();
  const std::vector<util::JsonLine> cached = util::ReadJsonLines(cache);
  ASSERT_EQ(cached.size(), 6u);
  std::string first_three;
  for (int i = 0; i < 3; ++i) first_three += cached[i].value.dump() + "\n";
  util::WriteFileAtomic(cache, first_three);
  fs::remove(greedy / "result.json");
  fs::remove(sampled / "result.json");
  fs::remove(out / "results.json");
  const long long mid = server_->Requests();
  ASSERT_EQ(Run(Config(server_->url() + "/v1/"), out), 0) << util::ReadFile(out.string() + ".err");
  EXPECT_EQ(server_->Requests() - mid, 3);
  const json greedy_result = ReadJson(greedy / "result.json");
  EXPECT_EQ(greedy_result["generation"]["requests_sent"], 3);
  EXPECT_EQ(greedy_result["generation"]["cache_hits"], 3);
  EXPECT_EQ(ReadJson(sampled / "result.json")["generation"]["requests_sent"], 0);
  EXPECT_EQ(ReadJson(sampled / "result.json")["generation"]["cache_hits"], 6);
  const json resumed = ReadJson(out / "results.json");
  EXPECT_EQ(Row(resumed, "endpoint")["metrics"], served["metrics"]);
  EXPECT_EQ(Completions(greedy), Completions(StepDir(out, "base", "greedy")));

  // A finished run reruns without the server.
  const long long after = server_->Requests();
  ASSERT_EQ(Run(Config("http://127.0.0.1:1"), out), 0) << util::ReadFile(out.string() + ".err");
  EXPECT_EQ(server_->Requests(), after);
  EXPECT_EQ(Row(ReadJson(out / "results.json"), "endpoint")["metrics"], served["metrics"]);
}

TEST_F(EndpointRun, AloneNeedsNoTrainingDataAndRunsTheDifficultyGrid) {
  const fs::path out = dir_ / "alone";
  json config = Config(server_->url());
  config["methods"] = {"endpoint"};
  config.erase("training");
  config["eval"] = {{"greedy", true}, {"k", 0}, {"max_new_tokens", 16}};
  config["difficulty"] = {{"tasks", {"gsm8k"}}, {"steps", {2}}, {"max_values", {20}}, {"n", 3}};
  const long long before = server_->Requests();
  ASSERT_EQ(Run(config, out), 0) << util::ReadFile(out.string() + ".err");
  EXPECT_EQ(server_->Requests() - before, 6 + 3);
  EXPECT_FALSE(fs::exists(out / "train"));
  const json results = ReadJson(out / "results.json");
  ASSERT_EQ(results["results"].size(), 1u);
  EXPECT_EQ(results["results"][0]["method"], "endpoint");
  EXPECT_EQ(results["results"][0]["model"], "tiny");
  EXPECT_EQ(results["results"][0]["n"], 6);
  ASSERT_EQ(results["difficulty"].size(), 1u);
  EXPECT_EQ(results["difficulty"][0]["method"], "endpoint");
  EXPECT_EQ(results["difficulty"][0]["n"], 3);
}

TEST_F(EndpointRun, WithTwoRanksTheServerIsAskedOnce) {
  // Data parallel: the local model's evaluation is sharded, the served model is asked by rank 0 alone.
  const fs::path out = dir_ / "ranks";
  json config = Config(server_->url());
  config["threads"] = 2;
  const fs::path path = out.string() + ".json";
  std::ofstream(path) << config.dump(2);
  const long long before = server_->Requests();
  ASSERT_EQ(testing_harness::SpawnHarness({"run", path.string(), "--out", out.string(), "--nproc", "2"}, "",
                                          out.string() + ".err"),
            0)
      << util::ReadFile(out.string() + ".err");
  EXPECT_EQ(server_->Requests() - before, 12);  // as with one rank
  const json results = ReadJson(out / "results.json");
  EXPECT_EQ(results["environment"]["world_size"], 2);
  EXPECT_EQ(Row(results, "endpoint")["metrics"], Row(results, "base")["metrics"]);
  for (const char* mode : {"greedy", "sampled"}) {
    EXPECT_EQ(Completions(StepDir(out, "base", mode)), Completions(StepDir(out, "endpoint", mode))) << mode;
  }
}

struct BadCase {
  json patch;
  std::string field;
};

std::vector<BadCase> BadCases(const std::string& url) {
  const json good = {{"url", url}, {"model", "tiny"}};
  auto with = [&](const json& change) {
    json section = good;
    section.update(change);
    return json{{"endpoint", section}};
  };
  json no_section = {{"endpoint", nullptr}};  // null: the key is removed
  json reranker = with(json::object());
  reranker["eval"] = {{"k", 2}, {"temperature", 0.8}, {"reranker", "endpoint"}};
  json method_training = with(json::object());
  method_training["method_training"] = {{"endpoint", {{"max_steps", 3}}}};
  return {
      {no_section, "endpoint.url"},  // the method is requested without its section
      {with({{"url", "ftp://127.0.0.1:1"}}), "endpoint.url"},
      {with({{"url", "http://127.0.0.1:99999"}}), "endpoint.url"},
      {with({{"model", ""}}), "endpoint.model"},
      {with({{"concurrency", 0}}), "endpoint.concurrency"},
      {with({{"retries", -1}}), "endpoint.retries"},
      {with({{"backoff", 100}}), "endpoint.backoff"},
      {with({{"request_timeout", 0}}), "endpoint.request_timeout"},
      {with({{"chat", "yes"}}), "endpoint.chat"},
      {with({{"modle", "tiny"}}), "endpoint.modle"},
      {reranker, "eval.reranker"},
      {method_training, "method_training"},
  };
}

// A config with the endpoint method and `patch` merged over it (a null value removes its key).
json Patched(const json& patch, const std::string& url) {
  json config = {{"name", "bad"},
                 {"methods", {"endpoint"}},
                 {"tasks", {{{"task", "gsm8k"}, {"test_n", 3}}}},
                 {"endpoint", {{"url", url}, {"model", "tiny"}}}};
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      config.erase(key);
    } else {
      config[key] = value;
    }
  }
  return config;
}

TEST(EndpointConfig, ErrorsNameTheOptionBeforeAnyWork) {
  for (const auto& c : BadCases("http://127.0.0.1:8000")) {
    try {
      trainers::ExperimentConfigFromJson(Patched(c.patch, "http://127.0.0.1:8000"), "exp.json");
      ADD_FAILURE() << c.patch;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, c.field) << e.what();
      EXPECT_EQ(e.where().file, "exp.json") << e.what();
    }
  }
  // Transport options are checked as `harness eval --endpoint` checks its flags, and the defaults resolve.
  const auto config = trainers::ExperimentConfigFromJson(Patched(json::object(), "http://127.0.0.1:8000"), "exp.json");
  EXPECT_EQ(config.methods, std::vector<std::string>{"endpoint"});
}

TEST_F(EndpointRun, BadOptionsExitTwoBeforeAnyRequest) {
  const long long before = server_->Requests();
  int i = 0;
  for (const auto& c : BadCases(server_->url())) {
    const fs::path out = dir_ / ("bad" + std::to_string(i++));
    EXPECT_EQ(Run(Patched(c.patch, server_->url()), out), 2) << c.patch;
    EXPECT_FALSE(fs::exists(out)) << c.patch;
    const std::string err = util::ReadFile(out.string() + ".err");
    EXPECT_NE(err.find(c.field), std::string::npos) << err;
  }
  EXPECT_EQ(server_->Requests(), before);
}

}  // namespace
