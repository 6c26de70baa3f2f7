// `harness run`: config validation before any work, and resume after kill -9 in the middle of training
// giving the same results as an uninterrupted run.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "harness/util/error.h"
#include "harness/util/json_io.h"
#include "trainers/runner/experiment_config.h"

namespace {

namespace fs = std::filesystem;

fs::path TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("runner_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

nlohmann::json TinyExperiment() {
  return {{"name", "tiny"},
          {"seeds", {7}},
          {"threads", 1},
          {"methods", {"base", "sft"}},
          {"tasks", {{{"task", "gsm8k"}, {"train_n", 60}, {"test_n", 6}, {"steps", 1}},
                     {{"task", "mathqa"}, {"train_n", 40}, {"test_n", 5}}}},
          {"sft", {{"preset", "nano"},
                   {"model_overrides", {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 2},
                                        {"num_attention_heads", 2}, {"num_key_value_heads", 1}}},
                   {"tokenizer_vocab", 320}, {"batch_size", 4}, {"max_steps", 150}, {"warmup_steps", 2},
                   {"log_every", 5}, {"save_every", 5}}},
          {"eval", {{"greedy", true}, {"k", 2}, {"temperature", 0.7}, {"max_new_tokens", 24}}}};
}

int RunHarness(const std::vector<std::string>& args, pid_t* pid_out = nullptr, bool wait = true) {
  pid_t pid = ::fork();
  if (pid == 0) {
    std::vector<char*> argv;
    std::string bin = HARNESS_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  if (pid_out) *pid_out = pid;
  if (!wait) return 0;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(RunnerConfig, ErrorsNameTheKeyBeforeAnyWork) {
  struct Case { nlohmann::json patch; std::string field; } cases[] = {
      {{{"methodz", {"sft"}}}, "methodz"},
      {{{"methods", {"reft"}}}, "methods"},
      {{{"methods", {"sfx"}}}, "methods"},
      {{{"tasks", {{{"task", "gsm9k"}, {"test_n", 3}}}}}, "tasks[0].task"},
      {{{"tasks", {{{"task", "gsm8k"}}}}}, "tasks[0].test_n"},
      {{{"tasks", {{{"task", "gsm8k"}, {"test_n", 3}, {"max_value", 5}}}}}, "tasks[0].max_value"},
      {{{"tasks", {{{"task", "gsm8k"}, {"test_n", 3}, {"template", "qa-v2"}}}}}, "tasks[0].template"},
      {{{"eval", {{"k", 4}, {"temperature", 0.0}}}}, "eval.temperature"},
      {{{"sft", {{"lr", -1.0}}}}, "lr"},
      {{{"sft", {{"seed", 3}}}}, "sft.seed"},
      {{{"seeds", {-1}}}, "seeds"},
  };
  for (const auto& c : cases) {
    nlohmann::json j = TinyExperiment();
    j.update(c.patch);
    try {
      trainers::ExperimentConfigFromJson(j, "exp.json");
      ADD_FAILURE() << c.patch;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, c.field) << e.what();
    }
  }
}

TEST(RunnerCli, BadConfigExitsTwoAndPrintConfigWorks) {
  auto dir = TempDir("cli");
  fs::create_directories(dir);
  nlohmann::json bad = TinyExperiment();
  bad["tasks"][0]["task"] = "gsm9k";
  std::ofstream(dir / "bad.json") << bad.dump();
  EXPECT_EQ(RunHarness({"run", (dir / "bad.json").string(), "--out", (dir / "out").string()}), 2);
  EXPECT_FALSE(fs::exists(dir / "out" / "results.json"));
  EXPECT_EQ(RunHarness({"run", "--print-config"}), 0);  // the built-in default validates
}

// Kill -9 while training, rerun into the same directory: same results as a run never interrupted.
TEST(RunnerResume, KilledDuringTrainingThenRerunMatchesUninterrupted) {
  auto dir = TempDir("resume");
  fs::create_directories(dir);
  std::ofstream(dir / "exp.json") << TinyExperiment().dump(2);
  const std::string config = (dir / "exp.json").string();
  ASSERT_EQ(RunHarness({"run", config, "--out", (dir / "straight").string()}), 0);

  pid_t pid = 0;
  RunHarness({"run", config, "--out", (dir / "killed").string()}, &pid, /*wait=*/false);
  // Wait until the first resumable state exists, then kill without warning.
  bool saw_state = false;
  for (int i = 0; i < 3000 && !saw_state; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (fs::exists(dir / "killed" / "train")) {
      for (auto& e : fs::directory_iterator(dir / "killed" / "train")) {
        if (fs::exists(e.path() / "state")) saw_state = true;
      }
    }
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(saw_state) << "training never saved a state";
  EXPECT_FALSE(fs::exists(dir / "killed" / "results.json"));
  ASSERT_EQ(RunHarness({"run", config, "--out", (dir / "killed").string()}), 0);

  auto a = util::ReadJsonFile((dir / "straight" / "results.json").string());
  auto b = util::ReadJsonFile((dir / "killed" / "results.json").string());
  ASSERT_EQ(a["results"].size(), 4u);  // 2 methods x 2 tasks
  ASSERT_EQ(a["results"].size(), b["results"].size());
  for (size_t i = 0; i < a["results"].size(); ++i) {
    EXPECT_EQ(a["results"][i]["metrics"], b["results"][i]["metrics"]) << a["results"][i]["task"];
  }
  EXPECT_TRUE(fs::exists(dir / "killed" / "report.html"));
  EXPECT_TRUE(fs::exists(dir / "killed" / "profile.json"));
  // The samples are identical too (same completions, same extraction).
  EXPECT_EQ(util::ReadJsonLines((dir / "straight" / "samples.jsonl").string()).size(),
            util::ReadJsonLines((dir / "killed" / "samples.jsonl").string()).size());
}

}  // namespace
