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

}  // namespace
