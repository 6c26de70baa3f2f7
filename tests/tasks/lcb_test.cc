// LiveCodeBench loader on the project's own fixtures: the record layout the sandbox grader reads,
// JSON-string tests, functional vs stdin problems, every filter, the QwQ prompt-only file, and bad
// input.
#include <gtest/gtest.h>

#include <set>

#include "tasks/loaders/livecodebench.h"
#include "tests/tasks/task_test_util.h"

namespace {

using tasks_test::ExpectInputError;
using tasks_test::Fixture;
using tasks_test::Scratch;

std::vector<tasks::Record> LoadLcb(const nlohmann::json& filters,
                                   const std::string& path = Fixture("livecodebench/lcb.jsonl")) {
  tasks::LoadOptions options;
  options.path = path;
  options.filters = filters;
  return tasks::FindTask("livecodebench").Load(options);
}

std::vector<std::string> Ids(const std::vector<tasks::Record>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

TEST(LiveCodeBench, RecordLayoutForTheSandboxGrader) {
  auto records = LoadLcb(nlohmann::json::object());
  ASSERT_EQ(records.size(), 5u);
  const std::set<std::string> keys = {"public_tests", "private_tests", "func_name",
                                      "platform",     "difficulty",    "contest_date",
                                      "contest_id",   "starter_code",  "question_title"};
  for (const auto& r : records) {
    std::set<std::string> got;
    for (auto it = r.extra.begin(); it != r.extra.end(); ++it) got.insert(it.key());
    EXPECT_EQ(got, keys) << r.id;
    EXPECT_EQ(r.kind, tasks::AnswerKind::kCode);
    EXPECT_EQ(r.gold, "");
    EXPECT_EQ(r.gold_solution, "");
    EXPECT_EQ(r.variant, "");
  }
  const tasks::Record& stdin_problem = records[0];
  EXPECT_EQ(stdin_problem.id, "abc900_a");
  EXPECT_EQ(stdin_problem.question, "Read two integers A and B and print A+B.");
  EXPECT_EQ(stdin_problem.extra["public_tests"],
            nlohmann::json::parse(R"([{"input":"1 2\n","output":"3\n","testtype":"stdin"},)"
                                  R"({"input":"-5 5\n","output":"0\n","testtype":"stdin"}])"));
  EXPECT_EQ(stdin_problem.extra["private_tests"][0]["output"], "300\n");
  EXPECT_TRUE(stdin_problem.extra["func_name"].is_null());
  EXPECT_EQ(stdin_problem.extra["platform"], "atcoder");
  EXPECT_EQ(stdin_problem.extra["contest_date"], "2023-06-10T00:00:00");
  EXPECT_EQ(stdin_problem.extra["question_title"], "Sum of Two");

  const tasks::Record& functional = records[1];
  EXPECT_EQ(functional.id, "9001");
  EXPECT_EQ(functional.extra["func_name"], "countEven");
  EXPECT_EQ(functional.extra["public_tests"][0]["testtype"], "functional");
  EXPECT_EQ(functional.extra["private_tests"], nlohmann::json::array());
  EXPECT_EQ(functional.extra["difficulty"], "medium");
  EXPECT_EQ(functional.extra["contest_id"], "weekly-contest-999");
}

struct FilterCase {
  const char* filters;
  std::vector<std::string> ids;
};

void PrintTo(const FilterCase& c, std::ostream* os) { *os << tasks_test::Slug(c.filters); }

class LcbFilters : public ::testing::TestWithParam<FilterCase> {};

TEST_P(LcbFilters, KeepExactlyTheMatchingProblems) {
  EXPECT_EQ(Ids(LoadLcb(nlohmann::json::parse(GetParam().filters))), GetParam().ids);
}

INSTANTIATE_TEST_SUITE_P(
    Fixture, LcbFilters,
    ::testing::Values(
        FilterCase{R"({})", {"abc900_a", "9001", "1999_C", "abc311_c", "9002"}},
        FilterCase{R"({"release": "release_v1"})", {"abc900_a", "9001", "abc311_c", "9002"}},
        FilterCase{R"({"release": "release_v2"})",
                   {"abc900_a", "9001", "1999_C", "abc311_c", "9002"}},
        FilterCase{R"({"start_date": "2023-07-22"})", {"9001", "1999_C", "abc311_c", "9002"}},
        FilterCase{R"({"end_date": "2023-09-01"})", {"abc900_a", "9001", "abc311_c"}},
        FilterCase{R"({"start_date": "2023-07-01", "end_date": "2023-12-31"})",
                   {"9001", "abc311_c", "9002"}},
        FilterCase{R"({"platform": "leetcode"})", {"9001", "9002"}},
        FilterCase{R"({"platform": ["atcoder", "codeforces"]})",
                   {"abc900_a", "1999_C", "abc311_c"}},
        FilterCase{R"({"difficulty": "easy"})", {"abc900_a", "9002"}},
        FilterCase{R"({"difficulty": ["medium", "hard"], "platform": "atcoder"})", {"abc311_c"}},
        // "errata" matches AtCoder ids and LeetCode title slugs (find-the-peaks is 9002).
        FilterCase{R"({"exclude": ["errata"]})", {"abc900_a", "9001", "1999_C"}},
        FilterCase{R"({"exclude": "errata"})", {"abc900_a", "9001", "1999_C"}},
        FilterCase{R"({"exclude": ["9001", "abc900_a"]})", {"1999_C", "abc311_c", "9002"}},
        FilterCase{R"({"release": "release_v1", "exclude": ["errata"], "platform": "leetcode"})",
                   {"9001"}}));

TEST(LiveCodeBench, ReleaseSetsTheVariant) {
  auto records = LoadLcb(nlohmann::json::parse(R"({"release": "release_v1"})"));
  EXPECT_EQ(records[0].variant, "release_v1");
  const auto& errata = tasks::loaders::LcbErrataIds();
  EXPECT_NE(std::find(errata.begin(), errata.end(), "abc350_c"), errata.end());
  EXPECT_NE(std::find(errata.begin(), errata.end(), "abc337_e"), errata.end());
}

struct BadFilter {
  const char* filters;
  const char* field;
  const char* needle;
};

void PrintTo(const BadFilter& c, std::ostream* os) { *os << tasks_test::Slug(c.filters); }

class LcbBadFilters : public ::testing::TestWithParam<BadFilter> {};

TEST_P(LcbBadFilters, AreInputErrors) {
  ExpectInputError([&] { LoadLcb(nlohmann::json::parse(GetParam().filters)); }, "", 0,
                   GetParam().field, GetParam().needle);
}

INSTANTIATE_TEST_SUITE_P(
    Bad, LcbBadFilters,
    ::testing::Values(
        BadFilter{R"({"releas": "release_v1"})", "filters.releas",
                  "unknown filter 'releas' (did you mean 'release'"},
        BadFilter{R"({"release": "release_v9"})", "filters.release", "did you mean 'release_v1'"},
        BadFilter{R"({"release": 1})", "filters.release", "expected a string"},
        BadFilter{R"({"start_date": "2023/01/01"})", "filters.start_date", "YYYY-MM-DD"},
        BadFilter{R"({"end_date": "2023-13-01"})", "filters.end_date", "YYYY-MM-DD"},
        BadFilter{R"({"platform": "topcoder"})", "filters.platform", "unknown platform"},
        BadFilter{R"({"difficulty": ["easy", 2]})", "filters.difficulty", "expected strings"},
        BadFilter{R"({"exclude": 5})", "filters.exclude", "list of strings"},
        BadFilter{R"(["release_v1"])", "filters", "expected an object"}));

TEST(LiveCodeBench, PromptFollowsLcbStructure) {
  const tasks::Task& task = tasks::FindTask("livecodebench");
  EXPECT_EQ(task.templates().front(), "lcb-codegen-v1");
  auto records = LoadLcb(nlohmann::json::object());
  const std::string stdin_prompt = task.RenderPrompt(records[0], {});
  EXPECT_EQ(stdin_prompt.rfind("You are an expert Python programmer.", 0), 0u);
  EXPECT_NE(stdin_prompt.find("### Question:\nRead two integers A and B and print A+B.\n\n"),
            std::string::npos);
  EXPECT_NE(stdin_prompt.find("### Format: Read the inputs from stdin"), std::string::npos);
  EXPECT_NE(stdin_prompt.find("```python\n# YOUR CODE HERE\n```"), std::string::npos);
  const std::string end = "### Answer: (use the provided format with backticks)\n\n";
  EXPECT_EQ(stdin_prompt.substr(stdin_prompt.size() - end.size()), end);
  const std::string functional = task.RenderPrompt(records[1], {});
  EXPECT_NE(functional.find("### Format: You will use the following starter code"),
            std::string::npos);
  EXPECT_NE(functional.find("```python\nclass Solution:\n    def countEven"), std::string::npos);
  EXPECT_EQ(functional.find("YOUR CODE HERE"), std::string::npos);
  tasks::PromptOptions cot;
  cot.template_name = "zeroshot-cot-v1";
  EXPECT_NE(task.RenderPrompt(records[0], cot).find("Think step by step"), std::string::npos);
}

TEST(LiveCodeBench, QwqRenderedFileLoadsPromptsOnly) {
  auto records = LoadLcb(nlohmann::json::object(), Fixture("livecodebench/livecodebench_v5.jsonl"));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].id, "abc900_a");
  EXPECT_EQ(records[0].variant, "release_v5");
  EXPECT_EQ(records[0].extra["public_tests"], nlohmann::json::array());
  EXPECT_EQ(records[0].extra["private_tests"], nlohmann::json::array());
  EXPECT_EQ(tasks::FindTask("livecodebench").RenderPrompt(records[1], {}),
            "Question: Print hello.");
  EXPECT_EQ(Ids(LoadLcb(nlohmann::json::parse(R"({"start_date": "2024-01-01"})"),
                        Fixture("livecodebench/livecodebench_v5.jsonl"))),
            std::vector<std::string>{"abc950_b"});
}

std::string Problem(const std::string& overrides) {
  nlohmann::json base = {
      {"question_title", "t"},
      {"question_content", "c"},
      {"platform", "atcoder"},
      {"question_id", "abc1_a"},
      {"contest_id", "abc1"},
      {"contest_date", "2023-06-01T00:00:00"},
      {"starter_code", ""},
      {"difficulty", "easy"},
      {"public_test_cases", R"([{"input": "1", "output": "1", "testtype": "stdin"}])"},
      {"metadata", "{}"}};
  nlohmann::json patch = nlohmann::json::parse(overrides);
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      base.erase(it.key());
    } else {
      base[it.key()] = it.value();
    }
  }
  return base.dump() + "\n";
}

struct BadRecord {
  const char* overrides;
  const char* field;
  const char* needle;
};

void PrintTo(const BadRecord& c, std::ostream* os) { *os << tasks_test::Slug(c.field); }

class LcbBadRecords : public ::testing::TestWithParam<BadRecord> {};

TEST_P(LcbBadRecords, NameFileLineAndField) {
  const std::string path =
      Scratch("lcb_bad/p.jsonl", Problem("{}") + Problem(GetParam().overrides));
  ExpectInputError([&] { LoadLcb(nlohmann::json::object(), path); }, path, 2, GetParam().field,
                   GetParam().needle);
}

INSTANTIATE_TEST_SUITE_P(
    Bad, LcbBadRecords,
    ::testing::Values(
        BadRecord{R"({"private_test_cases": "eJzLSM3JyVcozy/KSQEAGgQEXQ=="})", "private_test_cases",
                  "never unpickles"},
        BadRecord{R"({"public_test_cases": "[{\"input\": "})", "public_test_cases",
                  "malformed JSON"},
        BadRecord{R"({"public_test_cases": "{\"input\": \"1\"}"})", "public_test_cases",
                  "list of tests"},
        BadRecord{
            R"({"public_test_cases": "[{\"input\": \"1\", \"output\": \"1\", \"testtype\": \"file\"}]"})",
            "public_test_cases[0].testtype", "stdin"},
        BadRecord{R"({"public_test_cases": "[{\"input\": \"1\", \"testtype\": \"stdin\"}]"})",
                  "public_test_cases[0].output", "missing"},
        BadRecord{
            R"({"public_test_cases": "[{\"input\": \"1\", \"output\": \"1\", \"testtype\": \"functional\"}]"})",
            "metadata.func_name", "function's name"},
        BadRecord{R"({"metadata": "[1]"})", "metadata", "expected an object"},
        BadRecord{R"({"question_id": null})", "question_id", "missing"},
        BadRecord{R"({"contest_date": "June 2023"})", "contest_date", "ISO date"},
        BadRecord{R"({"difficulty": 3})", "difficulty", "expected a string"}));

}  // namespace
