// Scoring end to end through the C++ API on the bundled example (configs/examples), whose expected
// values were worked out by hand from the completions' text.
#include "harness/scoring/scoring.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/util/error.h"
#include "tasks/registry.h"

namespace {

const std::string kExamples = std::string(HARNESS_SOURCE_DIR) + "/configs/examples/";

std::string WriteTemp(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("scoring_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / name) << text;
  return (dir / name).string();
}

struct Loaded {
  const tasks::Task* task;
  std::vector<tasks::Record> records;
};

Loaded LoadMini() {
  const tasks::Task& task = tasks::FindTask("gsm8k");
  tasks::LoadOptions options;
  options.path = kExamples + "gsm8k_mini.jsonl";
  return {&task, task.Load(options)};
}

TEST(Score, BundledExampleDefaultPreset) {
  auto [task, records] = LoadMini();
  ASSERT_EQ(records.size(), 8u);
  auto predictions = scoring::ReadPredictions(kExamples + "gsm8k_mini_predictions.jsonl");
  scoring::ScoredSet scored = scoring::Score(*task, records, predictions, {});
  EXPECT_EQ(scored.n, 8);
  EXPECT_EQ(scored.k, 4);
  EXPECT_EQ(scored.preset, "default");
  EXPECT_DOUBLE_EQ(scored.metrics["accuracy"].get<double>(), 6.0 / 8);
  EXPECT_DOUBLE_EQ(scored.metrics["maj@4"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(scored.metrics["pass@4"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(scored.metrics["avg@4"].get<double>(), 23.0 / 32);
  EXPECT_DOUBLE_EQ(scored.metrics["extraction_failure_rate"].get<double>(), 1.0 / 32);
  EXPECT_TRUE(scored.metrics.contains("accuracy_stderr"));
  EXPECT_EQ(scored.metrics["accuracy_ci95"].size(), 2u);
  // The recited few-shot answer does not win: the last marked answer does.
  EXPECT_EQ(scored.samples[7]["extracted"][0], "18");
  // A failed extraction is recorded as null with rule "none".
  EXPECT_TRUE(scored.samples[3]["extracted"][0].is_null());
  EXPECT_EQ(scored.samples[3]["rules"][0], "none");
  // Each sample names the comparison its preset applied.
  EXPECT_EQ(scored.samples[3]["equivalence"], "exact");
  EXPECT_EQ(scored.samples[7]["equivalence"], "exact");
}

TEST(Score, LmEvalStrictPresetOnlySeesHashMarkers) {
  auto [task, records] = LoadMini();
  auto predictions = scoring::ReadPredictions(kExamples + "gsm8k_mini_predictions.jsonl");
  scoring::ScoreOptions options;
  options.preset = "lm-eval-strict";
  options.k = 2;
  scoring::ScoredSet scored = scoring::Score(*task, records, predictions, options);
  EXPECT_DOUBLE_EQ(scored.metrics["accuracy"].get<double>(), 0.0);
  // Problems 0, 2 and 4 each have exactly one "#### N" sample among their 4; unbiased pass@2 over all n=4
  // samples is 1 - C(3,2)/C(4,2) = 0.5 for each of them.
  EXPECT_DOUBLE_EQ(scored.metrics["pass@2"].get<double>(), 1.5 / 8);
  EXPECT_EQ(scored.samples[0]["equivalence"], "lm-eval-exact-match");
}

TEST(Score, UnknownIdNamesFileLineAndField) {
  auto [task, records] = LoadMini();
  auto path = WriteTemp("bad_id.jsonl", "{\"id\": \"0\", \"completions\": [\"1\"]}\n{\"id\": \"99\", \"completions\": [\"1\"]}\n");
  auto predictions = scoring::ReadPredictions(path);
  try {
    scoring::Score(*task, records, predictions, {});
    FAIL();
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().file, path);
    EXPECT_EQ(e.where().line, 2);
    EXPECT_EQ(e.where().field, "id");
  }
}

TEST(Score, MissingPredictionsNeedExplicitFlag) {
  auto [task, records] = LoadMini();
  auto path = WriteTemp("partial.jsonl", "{\"id\": \"0\", \"completions\": [\"The answer is 22.\"]}\n");
  auto predictions = scoring::ReadPredictions(path);
  EXPECT_THROW(scoring::Score(*task, records, predictions, {}), util::InputError);
  scoring::ScoreOptions options;
  options.allow_missing = true;
  auto scored = scoring::Score(*task, records, predictions, options);
  EXPECT_EQ(scored.n, 1);
  EXPECT_EQ(scored.missing.size(), 7u);
  EXPECT_DOUBLE_EQ(scored.metrics["accuracy"].get<double>(), 1.0);
}

TEST(Score, DuplicateIdsAndTooLargeKAreErrors) {
  auto [task, records] = LoadMini();
  auto dup = WriteTemp("dup.jsonl", "{\"id\": \"0\", \"completions\": [\"1\"]}\n{\"id\": 0, \"completions\": [\"2\"]}\n");
  scoring::ScoreOptions options;
  options.allow_missing = true;
  EXPECT_THROW(scoring::Score(*task, records, scoring::ReadPredictions(dup), options), util::InputError);
  options.k = 5;
  options.allow_missing = false;
  EXPECT_THROW(scoring::Score(*task, records, scoring::ReadPredictions(kExamples + "gsm8k_mini_predictions.jsonl"),
                              options),
               util::InputError);
}

TEST(Predictions, LmEvalSamplesFormat) {
  auto [task, records] = LoadMini();
  std::string text;
  for (int i = 0; i < 8; ++i) {
    text += "{\"doc_id\": " + std::to_string(i) + ", \"doc\": {}, \"resps\": [[\"The answer is 22.\", \"#### 22\"]], "
            "\"filtered_resps\": [\"22\"]}\n";
  }
  auto predictions = scoring::ReadPredictions(WriteTemp("samples_gsm8k.jsonl", text));
  ASSERT_EQ(predictions.size(), 8u);
  EXPECT_EQ(predictions[3].completions.size(), 2u);
  auto scored = scoring::Score(*task, records, predictions, {});
  EXPECT_DOUBLE_EQ(scored.metrics["accuracy"].get<double>(), 1.0 / 8);  // only problem 0's gold is 22
}

TEST(Predictions, MalformedInputErrors) {
  struct Case { const char* text; long line; const char* field; } cases[] = {
      {"{\"id\": \"0\", \"completions\": \"not a list\"}\n", 1, "completions"},
      {"{\"id\": \"0\"}\n", 1, "completions"},
      {"{\"completions\": [\"x\"]}\n", 1, "id"},
      {"{\"id\": \"0\", \"completions\": [\"x\"]}\n{\"id\": \"1\", \"completions\": []}\n", 2, "completions"},
      {"{\"id\": \"0\", \"completions\": [\"x\"], \"scores\": [1, 2]}\n", 1, "scores"},
      {"{\"doc_id\": -1, \"resps\": [[\"x\"]]}\n", 1, "doc_id"},
      {"{\"id\": \"0\", \"completions\": [3]}\n", 1, "completions"},
  };
  int i = 0;
  for (const auto& c : cases) {
    auto path = WriteTemp("malformed" + std::to_string(i++) + ".jsonl", c.text);
    try {
      scoring::ReadPredictions(path);
      ADD_FAILURE() << c.text;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().line, c.line) << c.text;
      EXPECT_EQ(e.where().field, c.field) << c.text;
    }
  }
}

}  // namespace

// P-CoT (ReFT §3): the program is the completion up to its first blank line, and the answer is the last line
// it prints, read with the task's flexible preset.
TEST(ProgramAnswers, ProgramIsTheTextUpToTheFirstBlankLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"def solution():\n    return 3\nprint(solution())", "def solution():\n    return 3\nprint(solution())"},
      {"x = 2\nprint(x)\n\nThe answer is 2.", "x = 2\nprint(x)"},   // prose after a blank line is cut
      {"\nprint(1)  \n", "print(1)"},                              // leading newline, trailing spaces
      {"print(1)\n\n\nprint(2)", "print(1)"},
      {"", ""},
      {"\n\nprint(1)", ""},                                         // a blank line first: nothing to run
  };
  for (const auto& [completion, program] : cases) EXPECT_EQ(scoring::ProgramOf(completion), program) << completion;
}

TEST(ProgramAnswers, TheLastPrintedLineIsTheAnswer) {
  const tasks::Task& gsm8k = tasks::FindTask("gsm8k");
  tasks::Record numeric;
  numeric.kind = tasks::AnswerKind::kNumeric;
  numeric.gold = "190";
  const tasks::Task& mathqa = tasks::FindTask("mathqa");
  tasks::Record choice;
  choice.kind = tasks::AnswerKind::kChoice;
  choice.choices = {"1", "2", "3", "4", "5"};
  choice.gold = "B";
  struct Case {
    const tasks::Task* task;
    const tasks::Record* record;
    scoring::ProgramRun run;
    bool valid, correct;
    std::string value, rule;
  };
  const std::vector<Case> cases = {
      {&gsm8k, &numeric, {true, "190\n", "passed"}, true, true, "190", "program_output"},
      {&gsm8k, &numeric, {true, "190.0\n", "passed"}, true, true, "190", "program_output"},   // Python's float
      {&gsm8k, &numeric, {true, "debug 7\n189\n\n", "passed"}, true, false, "189", "program_output"},
      {&gsm8k, &numeric, {true, "", "passed"}, false, false, "", "program_no_output"},
      {&gsm8k, &numeric, {true, "None\n", "passed"}, false, false, "", "program_unreadable"},
      {&gsm8k, &numeric, {false, "190\n", "runtime_error"}, false, false, "", "program_runtime_error"},
      {&mathqa, &choice, {true, "B\n", "passed"}, true, true, "B", "program_output"},
      {&mathqa, &choice, {true, "D\n", "passed"}, true, false, "D", "program_output"},
  };
  for (const Case& c : cases) {
    const tasks::ExtractedAnswer a = scoring::ProgramAnswer(*c.task, *c.record, c.run);
    EXPECT_EQ(a.valid, c.valid) << c.run.output;
    EXPECT_EQ(a.rule, c.rule) << c.run.output;
    if (c.valid) {
      EXPECT_EQ(a.value, c.value) << c.run.output;
      EXPECT_EQ(c.task->IsCorrect(a, *c.record), c.correct) << c.run.output;
    }
  }
}

TEST(ProgramAnswers, ScoreRunsEveryCompletionsProgramInOneBatch) {
  auto [task, records] = LoadMini();
  // A stand-in for the sandbox: each "program" is `print(<value>)`, and the runner prints the value.
  int calls = 0;
  size_t batch = 0;
  scoring::ScoreOptions options;
  options.program_answers = true;
  options.program_runner = [&](const std::vector<std::string>& programs) {
    ++calls;
    batch = programs.size();
    std::vector<scoring::ProgramRun> runs;
    for (const auto& p : programs) {
      if (p.rfind("print(", 0) != 0) {
        runs.push_back({false, "", "runtime_error"});
      } else {
        runs.push_back({true, p.substr(6, p.size() - 7) + "\n", "passed"});
      }
    }
    return runs;
  };
  std::vector<scoring::Prediction> predictions;
  for (size_t i = 0; i < 2; ++i) {
    scoring::Prediction p;
    p.id = records[i].id;
    // Right, wrong, crashing, and none at all.
    p.completions = {"print(" + records[i].gold + ")\n\nThe answer is 0", "print(-1)", "oops()", ""};
    predictions.push_back(p);
  }
  options.allow_missing = true;
  scoring::ScoredSet scored = scoring::Score(*task, records, predictions, options);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(batch, 6u);  // the empty completions are not run
  ASSERT_EQ(scored.n, 2);
  EXPECT_DOUBLE_EQ(scored.metrics["accuracy"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(scored.metrics["avg@4"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(scored.metrics["extraction_failure_rate"].get<double>(), 0.5);
  EXPECT_EQ(scored.samples[0]["extracted"][0], records[0].gold);
  EXPECT_EQ(scored.samples[0]["rules"], nlohmann::json({"program_output", "program_output", "program_runtime_error",
                                                        "program_missing"}));
  options.program_runner = nullptr;
  EXPECT_THROW(scoring::Score(*task, records, predictions, options), std::logic_error);
}
