// `harness score` and `harness prompts` through the binary: exit codes, messages and atomic outputs.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "harness/util/files.h"
#include "harness/util/json_io.h"

namespace {

namespace fs = std::filesystem;
const std::string kExamples = std::string(HARNESS_SOURCE_DIR) + "/configs/examples/";

struct CliRun {
  int exit_code;
  std::string output;  // stdout + stderr
};

CliRun Harness(const std::string& args) {
  std::string cmd = std::string(HARNESS_BINARY) + " " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

fs::path TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("score_cli_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir.parent_path());
  return dir;
}

TEST(ScoreCli, BundledExampleWritesVersionedResults) {
  auto out = TempDir("ok");
  CliRun r = Harness("score --task gsm8k --data " + kExamples + "gsm8k_mini.jsonl --predictions " + kExamples +
                  "gsm8k_mini_predictions.jsonl --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto doc = util::ReadJsonFile((out / "results.json").string());
  EXPECT_EQ(doc["schema_version"], 1);
  EXPECT_EQ(doc["config"]["task"], "gsm8k");
  EXPECT_EQ(doc["config"]["data_sha256"].get<std::string>().size(), 64u);
  EXPECT_FALSE(doc["harness"]["git_commit"].get<std::string>().empty());
  ASSERT_EQ(doc["results"].size(), 1u);
  EXPECT_DOUBLE_EQ(doc["results"][0]["metrics"]["accuracy"].get<double>(), 0.75);
  EXPECT_EQ(util::ReadJsonLines((out / "samples.jsonl").string()).size(), 8u);
  EXPECT_NE(r.output.find("maj@4"), std::string::npos);
}

TEST(ScoreCli, BadInputExitsTwoWithNoPartialOutput) {
  auto bad_dir = TempDir("bad_inputs");
  fs::create_directories(bad_dir);
  std::ofstream(bad_dir / "malformed.jsonl") << "{\"id\": \"0\", \"completions\": [\"x\"]}\n{\"id\": \"1\", \n";
  std::ofstream(bad_dir / "latin1.jsonl", std::ios::binary) << "{\"id\": \"0\", \"completions\": [\"caf\xe9\"]}\n";
  std::ofstream(bad_dir / "empty.jsonl") << "";
  struct Case { std::string args; std::string expect; } cases[] = {
      {"--task gsm9k --data " + kExamples + "gsm8k_mini.jsonl --predictions " + kExamples +
           "gsm8k_mini_predictions.jsonl", "did you mean 'gsm8k'"},
      {"--task gsm8k --data " + kExamples + "gsm8k_mini.jsonl --predictions " + (bad_dir / "malformed.jsonl").string(),
       "malformed.jsonl:2"},
      {"--task gsm8k --data " + kExamples + "gsm8k_mini.jsonl --predictions " + (bad_dir / "latin1.jsonl").string(),
       "UTF-8"},
      {"--task gsm8k --data " + kExamples + "gsm8k_mini.jsonl --predictions " + (bad_dir / "empty.jsonl").string(),
       "no records"},
      {"--task gsm8k --data " + kExamples + "missing.jsonl --predictions " + kExamples + "gsm8k_mini_predictions.jsonl",
       "missing.jsonl"},
      {"--task gsm8k --data " + kExamples + "gsm8k_mini.jsonl --predictions " + kExamples +
           "gsm8k_mini_predictions.jsonl --extract strickt", "strict"},
      {"--task gsm8k --data " + kExamples + "gsm8k_mini.jsonl --predictions " + kExamples +
           "gsm8k_mini_predictions.jsonl --k 9", "k=9"},
  };
  int i = 0;
  for (const auto& c : cases) {
    auto out = TempDir("bad" + std::to_string(i++));
    CliRun r = Harness("score " + c.args + " --out " + out.string());
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(out / "results.json")) << c.args;
  }
}

TEST(ScoreCli, UsageErrorsExitTwo) {
  EXPECT_EQ(Harness("score --task gsm8k").exit_code, 2);
  EXPECT_EQ(Harness("no-such-command").exit_code, 2);
  EXPECT_EQ(Harness("score --help").exit_code, 0);
}

// LiveCodeBench through the sandbox: the sandbox's own fixture problems with solutions whose verdicts the
// sandbox tests pin down; here the point is the wiring: extraction of the last code block, verdicts per
// sample, pass@k, and the isolation layers recorded in results.json.
TEST(ScoreCli, LiveCodeBenchGradesThroughTheSandbox) {
  const std::string fixtures = std::string(HARNESS_TEST_FIXTURES) + "/sandbox/";
  auto block = [&](const std::string& file) {
    return "Solution:\n```python\n" + util::ReadFile(fixtures + "solutions/" + file) + "\n```\n";
  };
  auto dir = TempDir("lcb");
  fs::create_directories(dir);
  nlohmann::json a = {{"id", "fx_sum"}, {"completions", {block("sum_correct.py"), block("sum_wrong.py"), "no code"}}};
  nlohmann::json b = {{"id", "fx_maxpair"},
                      {"completions", {block("maxpair_wrong.py"), block("maxpair_correct.py"), block("maxpair_crash.py")}}};
  util::WriteFileAtomic((dir / "preds.jsonl").string(), a.dump() + "\n" + b.dump() + "\n");
  CliRun r = Harness("score --task livecodebench --data " + fixtures + "lcb_problems.jsonl --predictions " +
                     (dir / "preds.jsonl").string() + " --allow-missing --timeout 2 --out " + (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto doc = util::ReadJsonFile((dir / "out" / "results.json").string());
  const auto& m = doc["results"][0]["metrics"];
  EXPECT_DOUBLE_EQ(m["accuracy"].get<double>(), 0.5);           // fx_sum's first sample passes
  EXPECT_DOUBLE_EQ(m["pass@1"].get<double>(), (1.0 / 3 + 1.0 / 3) / 2);
  EXPECT_DOUBLE_EQ(m["pass@3"].get<double>(), 1.0);
  EXPECT_TRUE(doc["environment"]["sandbox"].contains("network_namespace"));
  auto samples = util::ReadJsonLines((dir / "out" / "samples.jsonl").string());
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].value["verdicts"][1]["status"], "wrong_answer");
  EXPECT_EQ(samples[0].value["verdicts"][2]["status"], "no_code");
  EXPECT_EQ(samples[1].value["verdicts"][2]["status"], "runtime_error");
}

// `harness` never loads LibTorch: the engine's commands live in harness-torch beside it.
// P-CoT generations made elsewhere: the program of each completion runs in the sandbox and its printed value is
// scored; the results say so.
TEST(ScoreCli, ProgramAnswersRunEachCompletionsProgram) {
  auto dir = TempDir("pcot");
  fs::create_directories(dir);
  const auto ids = util::ReadJsonLines(kExamples + "gsm8k_mini_predictions.jsonl");
  {
    std::ofstream out(dir / "predictions.jsonl");
    // Record 1 (gold 22): a right program, one that prints a wrong value, one that crashes.
    out << nlohmann::json({{"id", ids[0].value["id"]},
                           {"completions", {"def solution():\n    rolls = 6 * 12\n    return rolls - 50\nprint(solution())",
                                            "print(6 * 12 + 50)\n\nThe answer is 22.", "print(rolls)"}}})
               .dump()
        << "\n";
  }
  CliRun r = Harness("score --task gsm8k --data " + kExamples + "gsm8k_mini.jsonl --predictions " +
                     (dir / "predictions.jsonl").string() + " --allow-missing --program-answers --workers 2 --out " +
                     (dir / "out").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto doc = util::ReadJsonFile((dir / "out" / "results.json").string());
  EXPECT_EQ(doc["config"]["answers"], "program");
  EXPECT_DOUBLE_EQ(doc["results"][0]["metrics"]["accuracy"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(doc["results"][0]["metrics"]["avg@3"].get<double>(), 1.0 / 3);
  const auto samples = util::ReadJsonLines((dir / "out" / "samples.jsonl").string());
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].value["extracted"], nlohmann::json({"22", "122", nullptr}));
  EXPECT_EQ(samples[0].value["rules"], nlohmann::json({"program_output", "program_output", "program_runtime_error"}));
  // A code task grades programs by their tests instead.
  const std::string fixtures = std::string(HARNESS_TEST_FIXTURES) + "/sandbox/";
  util::WriteFileAtomic((dir / "lcb.jsonl").string(),
                        nlohmann::json({{"id", "fx_sum"}, {"completions", {"print(1)"}}}).dump() + "\n");
  r = Harness("score --task livecodebench --data " + fixtures + "lcb_problems.jsonl --predictions " +
              (dir / "lcb.jsonl").string() + " --allow-missing --program-answers --out " + (dir / "out2").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("--program-answers"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out2"));
}

TEST(HarnessBinary, DoesNotLinkLibTorch) {
  FILE* pipe = ::popen(("ldd " + std::string(HARNESS_BINARY) + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string libs;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) libs.append(buf.data(), n);
  ASSERT_EQ(::pclose(pipe), 0) << libs;
  EXPECT_NE(libs.find("libc.so"), std::string::npos) << libs;
  for (const char* torch : {"libtorch", "libc10", "libgomp", "libopenblas"}) {
    EXPECT_EQ(libs.find(torch), std::string::npos) << torch << " in\n" << libs;
  }
}

TEST(PromptsCli, OneLinePerRecordWithGold) {
  auto out = TempDir("prompts") / "prompts.jsonl";
  CliRun r = Harness("prompts --task gsm8k --data " + kExamples + "gsm8k_mini.jsonl --out " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto rows = util::ReadJsonLines(out.string());
  ASSERT_EQ(rows.size(), 8u);
  EXPECT_EQ(rows[0].value["id"], "0");
  EXPECT_EQ(rows[0].value["gold"], "22");
  EXPECT_NE(rows[0].value["prompt"].get<std::string>().find("A baker fills 6 trays"), std::string::npos);
}

// MathQA's test_broken.txt marks record 1 of the fixture: prompts and score must use one record set, so a
// user who generates for every exported prompt is scored on exactly those, and the left-out id is named.
TEST(PromptsCli, PromptsAndScoreAgreeOnTheRecordSet) {
  const std::string data = std::string(HARNESS_TEST_FIXTURES) + "/tasks/mathqa/original/test.json";
  auto dir = TempDir("agree");
  fs::create_directories(dir);
  for (bool include_broken : {false, true}) {
    SCOPED_TRACE(include_broken ? "--include-broken" : "default");
    const std::string flag = include_broken ? " --include-broken" : "";
    CliRun p = Harness("prompts --task mathqa --data " + data + flag + " --out " + (dir / "prompts.jsonl").string());
    ASSERT_EQ(p.exit_code, 0) << p.output;
    auto prompts = util::ReadJsonLines((dir / "prompts.jsonl").string());
    ASSERT_EQ(prompts.size(), include_broken ? 3u : 2u);
    EXPECT_EQ(p.output.find("(ids: 1)") != std::string::npos, !include_broken) << p.output;
    {
      std::ofstream predictions(dir / "predictions.jsonl");
      for (const auto& row : prompts) {
        predictions << nlohmann::json{{"id", row.value["id"]}, {"completions", {"The answer is (a)"}}}.dump() << "\n";
      }
    }
    CliRun s = Harness("score --task mathqa --data " + data + flag + " --predictions " +
                       (dir / "predictions.jsonl").string() + " --out " + (dir / "out").string());
    ASSERT_EQ(s.exit_code, 0) << s.output;
    auto doc = util::ReadJsonFile((dir / "out" / "results.json").string());
    EXPECT_EQ(doc["results"][0]["n"].get<size_t>(), prompts.size());
    EXPECT_EQ(doc["config"]["excluded_broken"], include_broken ? nlohmann::json::array() : nlohmann::json{"1"});
    EXPECT_EQ(s.output.find("(ids: 1)") != std::string::npos, !include_broken) << s.output;
  }
}

}  // namespace
