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
#include <vector>

#include "harness/util/error.h"
#include "harness/util/json_io.h"
#include "trainers/runner/experiment_config.h"
#include "trainers/sft/sft_config.h"

#include "tests/harness_process.h"

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
          {"training", {{"preset", "nano"},
                   {"model_overrides", {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_hidden_layers", 2},
                                        {"num_attention_heads", 2}, {"num_key_value_heads", 1}}},
                   {"tokenizer_vocab", 320}, {"batch_size", 4}, {"max_steps", 150}, {"warmup_steps", 2},
                   {"log_every", 5}, {"save_every", 5}}},
          {"eval", {{"greedy", true}, {"k", 2}, {"temperature", 0.7}, {"max_new_tokens", 24}}}};
}

int RunHarness(const std::vector<std::string>& args, pid_t* pid_out = nullptr, bool wait = true) {
  return testing_harness::SpawnHarness(args, "", "", pid_out, wait);
}

struct BadCase {
  nlohmann::json patch;
  std::string field;
};

// One bad value per field: each is rejected before any work, naming the field.
std::vector<BadCase> BadCases() {
  return {
      {{{"methodz", {"sft"}}}, "methodz"},
      {{{"methods", {"rest"}}}, "methods"},
      {{{"methods", {"sfx"}}}, "methods"},
      {{{"methods", nlohmann::json::array()}}, "methods"},
      {{{"tasks", {{{"task", "gsm9k"}, {"test_n", 3}}}}}, "tasks[0].task"},
      {{{"tasks", {{{"task", "gsm8k"}}}}}, "tasks[0].test_n"},
      {{{"tasks", {{{"task", "gsm8k"}, {"test_n", 3}, {"max_value", 5}}}}}, "tasks[0].max_value"},
      {{{"tasks", {{{"task", "gsm8k"}, {"test_n", 3}, {"template", "qa-v2"}}}}}, "tasks[0].template"},
      {{{"tasks", {{{"task", "gsm8k"}, {"test_n", 3}, {"test_file", "/nonexistent.jsonl"}}}}}, "tasks[0].test_file"},
      {{{"tasks", {{{"task", "gsm8k"}, {"test_n", -3}}}}}, "tasks[0].test_n"},
      // methods ["base"] with nothing to train the tokenizer on (it used to fail after work was done).
      {{{"methods", {"base"}}, {"tasks", {{{"task", "gsm8k"}, {"test_n", 3}}}}}, "tasks"},
      {{{"eval", {{"k", 4}, {"temperature", 0.0}}}}, "eval.temperature"},
      {{{"eval", {{"greedy", false}, {"k", 0}}}}, "eval.k"},
      {{{"eval", {{"max_new_tokens", 0}}}}, "eval.max_new_tokens"},
      {{{"training", {{"lr", -1.0}}}}, "training.lr"},
      {{{"training", {{"seed", 3}}}}, "training.seed"},
      {{{"training", {{"log_every", 0}}}}, "training.log_every"},
      {{{"training", {{"eval_n", 0}}}}, "training.eval_n"},
      {{{"training", {{"preset", "huge"}}}}, "training.preset"},
      {{{"training", {{"warmup_steps", 5000}}}}, "training.warmup_steps"},
      {{{"sft", {{"lr", 0.01}}}}, "sft"},
      {{{"crlft", {{"expert_share", 2.0}}}}, "crlft.expert_share"},
      {{{"crlft", {{"flaws", {"typo"}}}}}, "crlft.flaws"},
      {{{"crlft", {{"wrong_rate", 0.5}, {"flaws", {"sloppy_format"}}}}}, "crlft.flaws"},
      {{{"crlft", {{"condition_form", "tokens"}}}}, "crlft.condition_form"},
      {{{"crlft", {{"inference_condition", "gpt4"}}}}, "crlft.inference_condition"},
      {{{"tasks", {{{"task", "gsm8k"}, {"train_n", 5}, {"test_n", 3}, {"style", "tool"}}}}}, "tasks[0].style"},
      {{{"tasks", {{{"task", "livecodebench"}, {"train_n", 5}, {"test_n", 3}, {"style", "pcot"}}}}}, "tasks[0].style"},
      {{{"tasks", {{{"task", "gsm8k"}, {"train_n", 5}, {"test_n", 3}, {"style", "pcot"}, {"tool_share", 0.1}}}}},
       "tasks[0].tool_share"},
      {{{"tasks", {{{"task", "gsm8k"}, {"train_n", 5}, {"test_n", 3}, {"tool_share", 1.5}}}}}, "tasks[0].tool_share"},
      {{{"tasks", {{{"task", "svamp"}, {"train_n", 5}, {"test_n", 3}, {"lookup_share", 0.5}}}}}, "tasks[0].lookup_share"},
      {{{"tasks", {{{"task", "mathqa"}, {"train_n", 5}, {"test_n", 3}, {"lookup_share", -1}}}}}, "tasks[0].lookup_share"},
      {{{"difficulty", {{"tasks", {"svamp"}}, {"steps", {1}}, {"max_values", {20}}}}}, "difficulty.tasks"},
      {{{"difficulty", {{"tasks", {"gsm8k"}}, {"steps", {1}}, {"max_values", {20}}, {"methods", {"crlft"}}}}},
       "difficulty.methods"},
      {{{"difficulty", {{"tasks", {"gsm8k"}}, {"steps", {1, 9}}, {"max_values", {20}}}}}, "difficulty.steps"},
      {{{"difficulty", {{"tasks", {"gsm8k"}}, {"steps", {1}}, {"max_values", {5}}}}}, "difficulty.max_values"},
      {{{"difficulty", {{"tasks", {"gsm8k"}}, {"steps", {1}}}}}, "difficulty.max_values"},
      {{{"difficulty", {{"n", 0}}}}, "difficulty.n"},
      {{{"method_training", {{"sfx", {{"max_steps", 3}}}}}}, "method_training"},
      {{{"method_training", {{"crlft", {{"max_steps", 3}}}}}}, "method_training"},  // not in this run
      {{{"method_training", {{"sft", {{"max_steps", -1}}}}}}, "method_training.sft.max_steps"},
      {{{"method_training", {{"sft", {{"max_stepz", 3}}}}}}, "method_training.sft.max_stepz"},
      {{{"eval", {{"k", 2}, {"reranker", "orm"}}}}, "eval.reranker"},  // not in this run
      {{{"eval", {{"k", 2}, {"sampled_methods", {"reft"}}}}}, "eval.sampled_methods"},
      {{{"eval", {{"k", 2}, {"sampled_tasks", {"svamp"}}}}}, "eval.sampled_tasks"},
      {{{"reft", {{"algorithm", "a2c"}}}}, "reft.algorithm"},
      {{{"start", {{"samples", 0}}}}, "start.samples"},
      {{{"start", {{"top_p", 1.5}}}}, "start.top_p"},
      {{{"hint_infer", {{"hint", "nope"}}}}, "hint_infer.hint"},
      {{{"hint_infer", {{"rounds", -1}}}}, "hint_infer.rounds"},
      {{{"seeds", {-1}}}, "seeds[0]"},
      {{{"seeds", nlohmann::json::array()}}, "seeds"},
  };
}

TEST(RunnerConfig, ErrorsNameTheKeyBeforeAnyWork) {
  for (const auto& c : BadCases()) {
    nlohmann::json j = TinyExperiment();
    j.update(c.patch);
    try {
      trainers::ExperimentConfigFromJson(j, "exp.json");
      ADD_FAILURE() << c.patch;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, c.field) << e.what();
      EXPECT_EQ(e.where().file, "exp.json") << e.what();
    }
  }
}

// The same cases through the binary: exit 2 and nothing written.
TEST(RunnerCli, EveryBadFieldExitsTwoBeforeAnyWork) {
  auto dir = TempDir("bad_fields");
  fs::create_directories(dir);
  int i = 0;
  for (const auto& c : BadCases()) {
    nlohmann::json j = TinyExperiment();
    j.update(c.patch);
    const fs::path config = dir / ("bad" + std::to_string(i) + ".json"), out = dir / ("out" + std::to_string(i));
    ++i;
    std::ofstream(config) << j.dump();
    EXPECT_EQ(RunHarness({"run", config.string(), "--out", out.string()}), 2) << c.patch;
    EXPECT_FALSE(fs::exists(out)) << c.patch;
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

// Every committed config validates: experiment configs (a "methods" list) through `harness run --print-config`,
// trainer configs (`harness train <method> --config`) through the SFT config parser they all share.
// Paths in them are relative to the repository root; a config reading ../shared/data is skipped without it.
TEST(RunnerCli, EveryCommittedConfigValidates) {
  const fs::path cwd = fs::current_path();
  fs::current_path(HARNESS_SOURCE_DIR);
  const bool shared_data = fs::exists(HARNESS_SHARED_DATA);
  int experiments = 0, trainers_seen = 0;
  for (const char* folder : {"configs", "configs/paper", "configs/examples"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(HARNESS_SOURCE_DIR) / folder)) {
      if (entry.path().extension() != ".json") continue;
      const std::string path = entry.path().string();
      const nlohmann::json j = util::ReadJsonFile(path);
      if (!shared_data && j.dump().find("../shared/data") != std::string::npos) continue;
      if (j.contains("methods")) {
        ++experiments;
        EXPECT_EQ(RunHarness({"run", path, "--print-config"}), 0) << path;
      } else {
        ++trainers_seen;
        EXPECT_NO_THROW(trainers::SftConfigFromJson(j, path, /*require_data=*/false)) << path;
      }
    }
  }
  fs::current_path(cwd);
  EXPECT_GE(experiments, 10);
  EXPECT_GE(trainers_seen, 1);
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
  // Each trained checkpoint has a stable name another config can start from: a relative link to the keyed step.
  for (const char* method : {"base", "sft"}) {
    const fs::path link = dir / "straight" / "checkpoints" / (std::string(method) + "-seed7");
    ASSERT_TRUE(fs::is_symlink(link)) << link;
    EXPECT_TRUE(fs::read_symlink(link).is_relative()) << fs::read_symlink(link);
    EXPECT_TRUE(fs::exists(link / "model.safetensors")) << link;
    bool found = false;
    for (auto& e : fs::directory_iterator(dir / "straight" / "train")) {
      if (e.path().filename().string().rfind(std::string(method) + "-", 0) == 0) {
        found = fs::equivalent(link, e.path() / "checkpoint");
      }
    }
    EXPECT_TRUE(found) << method;
  }
  // The samples are identical too: same prompts, completions, extraction and verdicts, line by line.
  auto sa = util::ReadJsonLines((dir / "straight" / "samples.jsonl").string());
  auto sb = util::ReadJsonLines((dir / "killed" / "samples.jsonl").string());
  ASSERT_EQ(sa.size(), sb.size());
  ASSERT_GT(sa.size(), 0u);
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_EQ(sa[i].value, sb[i].value) << "sample line " << i;
}

}  // namespace

namespace {

// The registry drives both `harness methods` and the runner: C-RLFT and its inference-condition arm train
// once and are evaluated with their own conditions; the runner holds no method name.
TEST(RunnerMethods, CrlftArmsShareTrainingAndCarryTheirConditions) {
  auto dir = TempDir("crlft");
  fs::create_directories(dir);
  nlohmann::json j = TinyExperiment();
  j["methods"] = {"crlft", "crlft-sub-condition"};
  j["tasks"] = {{{"task", "gsm8k"}, {"train_n", 40}, {"test_n", 4}, {"steps", 1}}};
  j["training"]["max_steps"] = 6;
  j["crlft"] = {{"expert_share", 0.5}};
  j["eval"] = {{"greedy", true}, {"k", 0}, {"max_new_tokens", 8}};
  std::ofstream(dir / "exp.json") << j.dump(2);
  ASSERT_EQ(RunHarness({"run", (dir / "exp.json").string(), "--out", (dir / "out").string()}), 0);
  int crlft_dirs = 0, base_dirs = 0;
  for (auto& e : fs::directory_iterator(dir / "out" / "train")) {
    const std::string name = e.path().filename().string();
    crlft_dirs += name.rfind("crlft-", 0) == 0;
    base_dirs += name.rfind("base-", 0) == 0;
  }
  EXPECT_EQ(crlft_dirs, 1);  // (e) and (e') share one model
  EXPECT_EQ(base_dirs, 1);   // both start from the base model, made once
  auto samples = util::ReadJsonLines((dir / "out" / "samples.jsonl").string());
  ASSERT_EQ(samples.size(), 8u);
  for (const auto& s : samples) {
    const std::string prefix = s.value["method"] == "crlft" ? "<|gpt4|>" : "<|gpt3|>";
    EXPECT_EQ(s.value["prompt"].get<std::string>().rfind(prefix, 0), 0u) << s.value["prompt"];
  }
  auto results = util::ReadJsonFile((dir / "out" / "results.json").string());
  EXPECT_EQ(results["results"].size(), 2u);
  // Each arm's training log and profile phase carries the arm's name, not its trainer's.
  std::vector<std::string> logs, phases;
  for (const auto& log : results["training_logs"]) logs.push_back(log["method"]);
  for (const auto& phase : results["profile"]["phases"]) {
    const std::string name = phase["name"];
    if (name.rfind("train:crlft", 0) == 0) phases.push_back(name);
  }
  EXPECT_EQ(logs, (std::vector<std::string>{"crlft", "crlft-sub-condition"}));
  EXPECT_EQ(phases, (std::vector<std::string>{"train:crlft:seed7", "train:crlft-sub-condition:seed7"}));
  EXPECT_EQ(results["harness"]["git_commit"].get<std::string>().size(), 12u);
  EXPECT_NE(results["harness"]["git_commit"], "unknown");
}

// The held-out difficulty grid: one greedy evaluation per (task, method, steps, max_value) cell on its own
// synthetic test split, in results.json and the report, with the training knobs' cell marked.
TEST(RunnerDifficulty, GridCellsLandInResultsAndReport) {
  auto dir = TempDir("grid");
  fs::create_directories(dir);
  nlohmann::json j = TinyExperiment();
  j["tasks"] = {{{"task", "gsm8k"}, {"train_n", 40}, {"test_n", 4}, {"steps", 1}, {"max_value", 20}},
                {{"task", "mathqa"}, {"train_n", 30}, {"test_n", 3}, {"style", "ncot-check"}}};
  // The training section says 150 steps; sft's own override makes it 4 (checked in the profile below).
  j["method_training"] = {{"sft", {{"max_steps", 4}, {"warmup_steps", 1}, {"eval_every", 2}, {"eval_n", 2}}}};
  j["eval"] = {{"greedy", true}, {"k", 0}, {"max_new_tokens", 8}};
  j["difficulty"] = {{"tasks", {"gsm8k"}}, {"methods", {"sft"}}, {"steps", {1, 2}}, {"max_values", {20, 50, 100}}, {"n", 3}};
  std::ofstream(dir / "exp.json") << j.dump(2);
  ASSERT_EQ(RunHarness({"run", (dir / "exp.json").string(), "--out", (dir / "out").string()}), 0);
  auto results = util::ReadJsonFile((dir / "out" / "results.json").string());
  ASSERT_TRUE(results.contains("difficulty"));
  const auto& cells = results["difficulty"];
  ASSERT_EQ(cells.size(), 6u);  // sft only: 2 step counts x 3 scales
  int trained = 0;
  for (const auto& c : cells) {
    EXPECT_EQ(c["task"], "gsm8k");
    EXPECT_EQ(c["method"], "sft");
    EXPECT_EQ(c["n"], 3);
    EXPECT_LE(c["correct"].get<int>(), 3);
    if (c["trained"].get<bool>()) {
      ++trained;
      EXPECT_EQ(c["steps"], 1);
      EXPECT_EQ(c["max_value"], 20);
    }
  }
  EXPECT_EQ(trained, 1);
  // The training phase reports its optimizer steps (method_training's 4, not training's 150) and steps per
  // second beside tokens per second.
  bool saw_steps = false;
  for (const auto& phase : results["profile"]["phases"]) {
    if (phase["name"] != "train:sft:seed7") continue;
    saw_steps = true;
    EXPECT_EQ(phase["steps"], 4);
    EXPECT_GT(phase["steps_per_second"].get<double>(), 0.0);
  }
  EXPECT_TRUE(saw_steps);
  // Learning curves: held-out accuracy per task at steps 2 and 4 (eval_every 2), in sft's training log.
  std::vector<int> eval_steps;
  for (const auto& log : results["training_logs"]) {
    if (log["method"] != "sft") continue;
    for (const auto& p : log["points"]) {
      if (!p.contains("eval_accuracy")) continue;
      eval_steps.push_back(p["step"]);
      ASSERT_TRUE(p.contains("eval_accuracy:gsm8k")) << p;
      ASSERT_TRUE(p.contains("eval_accuracy:mathqa")) << p;
      EXPECT_DOUBLE_EQ(p["eval_accuracy"].get<double>(),
                       (p["eval_accuracy:gsm8k"].get<double>() + p["eval_accuracy:mathqa"].get<double>()) / 2);
    }
  }
  EXPECT_EQ(eval_steps, (std::vector<int>{2, 4}));
  // Each cell's test split was written with its own knobs.
  int grid_dirs = 0;
  for (auto& e : fs::directory_iterator(dir / "out" / "eval")) grid_dirs += e.path().filename().string().rfind("grid-sft-gsm8k-s2-v50-", 0) == 0;
  EXPECT_EQ(grid_dirs, 1);
  std::ifstream report(dir / "out" / "report.html");
  std::string html((std::istreambuf_iterator<char>(report)), std::istreambuf_iterator<char>());
  EXPECT_NE(html.find("id=\"difficulty\""), std::string::npos);
  EXPECT_NE(html.find("gsm8k / sft"), std::string::npos);
  // The mathqa task trained on check-style solutions: the data file says so.
  bool saw_check = false;
  for (auto& e : fs::recursive_directory_iterator(dir / "out" / "train")) {
    if (e.path().filename() != "mathqa_train.json") continue;
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    saw_check = text.find("? yes") != std::string::npos;
  }
  EXPECT_TRUE(saw_check);
}

// A grid over a code task is graded in the sandbox like the task's own test set.
TEST(RunnerDifficulty, CodeTaskCellsAreGradedInTheSandbox) {
  auto dir = TempDir("grid_code");
  fs::create_directories(dir);
  nlohmann::json j = TinyExperiment();
  j["methods"] = {"sft"};
  j["tasks"] = {{{"task", "livecodebench"}, {"train_n", 12}, {"test_n", 2}, {"steps", 1}}};
  j["training"]["max_steps"] = 2;
  j["training"]["warmup_steps"] = 1;
  j["training"]["max_seq_len"] = 2048;  // LiveCodeBench prompts are long for a 320-token vocabulary
  j["eval"] = {{"greedy", true}, {"k", 0}, {"max_new_tokens", 8}};
  j["difficulty"] = {{"tasks", {"livecodebench"}}, {"steps", {1}}, {"max_values", {100}}, {"n", 2}};
  std::ofstream(dir / "exp.json") << j.dump(2);
  ASSERT_EQ(RunHarness({"run", (dir / "exp.json").string(), "--out", (dir / "out").string()}), 0);
  auto results = util::ReadJsonFile((dir / "out" / "results.json").string());
  ASSERT_EQ(results["difficulty"].size(), 1u);
  EXPECT_EQ(results["difficulty"][0]["task"], "livecodebench");
  EXPECT_EQ(results["difficulty"][0]["n"], 2);
  EXPECT_EQ(results["difficulty"][0]["correct"], 0);  // 8 tokens write no program
}

// P-CoT (ReFT §3): a task trained on programs is evaluated, curved, gridded and rewarded by running the
// completion's program in the sandbox; the training data holds the programs.
TEST(RunnerPcot, ProgramTasksAreScoredByWhatTheProgramPrints) {
  auto dir = TempDir("pcot");
  fs::create_directories(dir);
  nlohmann::json j = TinyExperiment();
  j["methods"] = {"sft", "reft"};
  j["tasks"] = {{{"task", "gsm8k"}, {"train_n", 40}, {"test_n", 3}, {"steps", 1}, {"max_value", 20}, {"style", "pcot"}},
                {{"task", "svamp"}, {"train_n", 30}, {"test_n", 2}, {"steps", 1}, {"max_value", 20}}};
  j["method_training"] = {{"sft", {{"max_steps", 4}, {"warmup_steps", 1}, {"eval_every", 4}, {"eval_n", 2}}},
                          {"reft", {{"max_steps", 2}, {"batch_size", 4}, {"warmup_steps", 0}, {"log_every", 1}}}};
  j["reft"] = {{"tasks", {"gsm8k", "svamp"}}, {"beta", 0.01}};
  j["eval"] = {{"greedy", true}, {"k", 0}, {"max_new_tokens", 8}};
  j["difficulty"] = {{"tasks", {"gsm8k"}}, {"methods", {"sft"}}, {"steps", {1}}, {"max_values", {20}}, {"n", 2}};
  std::ofstream(dir / "exp.json") << j.dump(2);
  ASSERT_EQ(RunHarness({"run", (dir / "exp.json").string(), "--out", (dir / "out").string()}), 0);
  // Every evaluation of gsm8k (both methods, the grid cell) read its answers from program runs; svamp did not.
  int gsm8k_sets = 0, svamp_sets = 0;
  for (auto& e : fs::directory_iterator(dir / "out" / "eval")) {
    const std::string name = e.path().filename().string();
    const bool gsm8k = name.find("-gsm8k-") != std::string::npos;
    (gsm8k ? gsm8k_sets : svamp_sets)++;
    std::ifstream in(e.path() / "samples.jsonl");
    for (std::string line; std::getline(in, line);) {
      for (const auto& rule : nlohmann::json::parse(line)["rules"]) {
        EXPECT_EQ(rule.get<std::string>().rfind("program_", 0) == 0, gsm8k) << name << " " << rule;
      }
    }
  }
  EXPECT_EQ(gsm8k_sets, 3);  // sft, reft, the grid cell
  EXPECT_EQ(svamp_sets, 2);
  // ReFT trained on both (its log has two steps), and the gsm8k training file holds programs.
  auto results = util::ReadJsonFile((dir / "out" / "results.json").string());
  bool saw_reft = false;
  for (const auto& log : results["training_logs"]) saw_reft |= log["method"] == "reft" && log["points"].size() == 2;
  EXPECT_TRUE(saw_reft);
  bool saw_program = false;
  for (auto& e : fs::recursive_directory_iterator(dir / "out" / "train")) {
    if (e.path().filename() != "gsm8k_train.jsonl") continue;
    std::ifstream in(e.path());
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    saw_program = text.find("def solution():") != std::string::npos;
  }
  EXPECT_TRUE(saw_program);
}

TEST(RunnerMethods, RunnerNamesNoMethod) {
  for (const char* file : {"/trainers/runner/experiment.cc", "/trainers/runner/experiment_config.cc"}) {
    std::ifstream in(std::string(HARNESS_SOURCE_DIR) + file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty()) << file;
    for (const char* name : {"\"base\"", "\"sft\"", "\"crlft", "\"reft\"", "\"start\"", "\"wsrl\"", "\"endpoint\""}) {
      EXPECT_EQ(text.find(name), std::string::npos) << file << " names " << name;
    }
  }
}

TEST(RunnerMethods, MethodsJsonListsEveryMethodWithItsOptions) {
  auto dir = TempDir("methods");
  fs::create_directories(dir);
  const std::string out = (dir / "methods.json").string();
  const std::string command = std::string(HARNESS_BINARY) + " methods --json > " + out;
  ASSERT_EQ(std::system(command.c_str()), 0);
  auto methods = util::ReadJsonFile(out);
  std::vector<std::string> names;
  for (const auto& m : methods) names.push_back(m["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"base", "sft", "crlft", "crlft-sft-all", "crlft-expert-only",
                                             "crlft-weights-only", "crlft-condition-only", "crlft-sub-condition",
                                             "sft-continued", "offline-st", "orm", "reft", "reft-beta0",
                                             "reft-no-partial", "reft-separate-value", "online-st", "grpo", "hint-infer", "start-0",
                                             "start",
                                             "rft-no-tool", "hint-infer-r0", "hint-infer-r2", "hint-infer-r3",
                                             "hint-infer-r4", "wsrl-offline", "wsrl", "wsrl-no-warmup",
                                             "wsrl-random-warmup", "wsrl-retention", "wsrl-append",
                                             "wsrl-warmup-small", "wsrl-warmup-large", "rlpd", "sac-scratch",
                                             "wsrl-text-offline", "wsrl-text", "wsrl-text-no-warmup",
                                             "wsrl-text-retention", "wsrl-text-fresh-critic", "endpoint"}));
  EXPECT_EQ(methods[2]["starts_from"], "base");
  bool has_expert_share = false;
  for (const auto& o : methods[2]["options"]) {
    if (o["name"] == "expert_share") has_expert_share = o["default"] == 0.1 && o["type"] == "number";
  }
  EXPECT_TRUE(has_expert_share);
}

}  // namespace

namespace {

// `harness train <method>` comes from the same registry: the config's method section holds its options.
TEST(TrainCli, AnyRegisteredMethodTrainsFromItsConfigSection) {
  auto dir = TempDir("train_cli");
  fs::create_directories(dir);
  nlohmann::json config = TinyExperiment()["training"];
  config["max_steps"] = 4;
  config["train"] = {{{"task", "gsm8k"}, {"synthetic_n", 30}, {"steps", 1}}};
  config["crlft"] = {{"expert_share", 0.5}, {"condition_form", "token"}};
  std::ofstream(dir / "crlft.json") << config.dump(2);
  ASSERT_EQ(RunHarness({"train", "crlft", "--config", (dir / "crlft.json").string(), "--out", (dir / "out").string()}), 0);
  EXPECT_TRUE(fs::exists(dir / "out" / "checkpoint" / "model.safetensors"));
  const auto tok = util::ReadJsonFile((dir / "out" / "tokenizer.json").string());
  bool has_condition = false;
  for (const auto& t : tok["added_tokens"]) has_condition = has_condition || t["content"] == "<|gpt4|>";
  EXPECT_TRUE(has_condition);
  // A bad option in the section: exit 2, naming it.
  config["crlft"]["expert_share"] = 3;
  std::ofstream(dir / "bad.json") << config.dump(2);
  EXPECT_EQ(RunHarness({"train", "crlft", "--config", (dir / "bad.json").string(), "--out", (dir / "bad").string()}), 2);
  EXPECT_FALSE(fs::exists(dir / "bad" / "checkpoint"));
  // The same file without the method's section is an SFT config: sft rejects the unknown key.
  EXPECT_EQ(RunHarness({"train", "sft", "--config", (dir / "bad.json").string(), "--out", (dir / "bad_sft").string()}), 2);
}

}  // namespace
