// LiveCodeBench grading: the comparison rules, every verdict on fixture problems written for these
// tests (stdin and functional; correct, wrong, slow, crashing solutions), pass@k over a worker pool,
// bad records, and a smoke run on the shared LiveCodeBench file when it is present.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/sandbox/grader.h"
#include "harness/sandbox/pool.h"
#include "harness/util/error.h"
#include "tasks/metrics/metrics.h"
#include "tasks/registry.h"
#include "tests/sandbox/test_helpers.h"

namespace {

using sandbox::GradeLiveCodeBench;
using sandbox::Status;
using sandbox_test::ShortLimits;

const std::string kFixtures = std::string(HARNESS_TEST_FIXTURES) + "/sandbox";

// The raw LiveCodeBench row (JSON-string test fields) → Record.extra layout the grader reads.
tasks::Record FromRawRow(const nlohmann::json& row, const std::string& source) {
  tasks::Record record;
  record.id = row.at("question_id").get<std::string>();
  record.task = "livecodebench";
  record.kind = tasks::AnswerKind::kCode;
  record.question = row.at("question_content").get<std::string>();
  record.source = source;
  const auto metadata = nlohmann::json::parse(row.value("metadata", "{}"));
  record.extra = {{"public_tests", nlohmann::json::parse(row.at("public_test_cases").get<std::string>())},
                  {"private_tests", row.contains("private_test_cases")
                                        ? nlohmann::json::parse(row["private_test_cases"].get<std::string>())
                                        : nlohmann::json::array()},
                  {"func_name", metadata.contains("func_name") ? metadata["func_name"] : nlohmann::json()},
                  {"platform", row.value("platform", "")},
                  {"difficulty", row.value("difficulty", "")},
                  {"starter_code", row.value("starter_code", "")},
                  {"question_title", row.value("question_title", "")}};
  return record;
}

std::map<std::string, tasks::Record> FixtureProblems() {
  std::map<std::string, tasks::Record> problems;
  std::ifstream in(kFixtures + "/lcb_problems.jsonl");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    tasks::Record r = FromRawRow(nlohmann::json::parse(line), "lcb_problems.jsonl:" + std::to_string(n));
    problems[r.id] = r;
  }
  return problems;
}

std::string Solution(const std::string& name) {
  return sandbox_test::ReadText(kFixtures + "/solutions/" + name + ".py");
}

TEST(StdioOutputMatches, ReferenceRules) {
  struct Case {
    const char* got;
    const char* want;
    bool match;
  };
  const Case cases[] = {
      {"3\n7\n", "3\n7\n", true},
      {"  3  \n7", "3\n7\n\n", true},           // whole text and each line stripped
      {"3\r\n7\r\n", "3\n7\n", true},
      {"3\n\n7", "3\n7", false},                // inner blank line changes the line count
      {"1.0 2", "1 2.000", true},               // Decimal fallback per line
      {"0.1", "0.10", true},
      {"1e2", "100", true},
      {"-0", "0", true},
      {"1_000", "1000", true},                  // Decimal() accepts underscores
      {"2.5", "2.4999999", false},              // exact Decimal equality, no tolerance
      {"YES", "yes", false},
      {"abc 1", "abc 1.0", false},              // a non-number element: no fallback
      {"nan", "nan", true},                     // equal as strings first
      {"NaN", "nan", false},                    // NaN never equals as a Decimal
      {"Infinity", "inf", true},
      {"1 2", "1 2 3", false},
      {"", "", true},
      {"", "0", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(sandbox::StdioOutputMatches(c.got, c.want), c.match) << "'" << c.got << "' vs '" << c.want << "'";
  }
}

TEST(PythonJsonEqual, MatchesPythonEquality) {
  using J = nlohmann::json;
  EXPECT_TRUE(sandbox::PythonJsonEqual(J::parse("7"), J::parse("7.0")));
  EXPECT_TRUE(sandbox::PythonJsonEqual(J::parse("true"), J::parse("1")));
  EXPECT_TRUE(sandbox::PythonJsonEqual(J::parse("[1, [2, 3]]"), J::parse("[1.0, [2, 3]]")));
  EXPECT_TRUE(sandbox::PythonJsonEqual(J::parse("{\"a\": 1}"), J::parse("{\"a\": 1.0}")));
  EXPECT_TRUE(sandbox::PythonJsonEqual(J::parse("-3"), J::parse("-3")));
  EXPECT_FALSE(sandbox::PythonJsonEqual(J::parse("-3"), J::parse("3")));
  EXPECT_FALSE(sandbox::PythonJsonEqual(J::parse("\"1\""), J::parse("1")));
  EXPECT_FALSE(sandbox::PythonJsonEqual(J::parse("[1]"), J::parse("[1, 2]")));
  EXPECT_FALSE(sandbox::PythonJsonEqual(J::parse("null"), J::parse("0")));
  EXPECT_FALSE(sandbox::PythonJsonEqual(J::parse("{\"\\u0000tuple\": [2]}"), J::parse("[2]")));
}

struct GradeCase {
  const char* problem;
  const char* solution;
  Status status;
  int first_failed;  // -1 when it passes
  int tests_run;
};

void PrintTo(const GradeCase& c, std::ostream* os) { *os << c.problem << "/" << c.solution; }

class FixtureVerdicts : public ::testing::TestWithParam<GradeCase> {};

TEST_P(FixtureVerdicts, Match) {
  static const auto problems = FixtureProblems();
  const GradeCase& c = GetParam();
  const tasks::Record& record = problems.at(c.problem);
  const auto result = GradeLiveCodeBench(Solution(c.solution), record, ShortLimits());
  EXPECT_EQ(sandbox::StatusName(result.status), std::string(sandbox::StatusName(c.status))) << result.detail;
  EXPECT_EQ(result.passed, c.status == Status::kPassed);
  EXPECT_EQ(result.first_failed_test, c.first_failed) << result.detail;
  EXPECT_EQ(result.tests_run, c.tests_run);
  EXPECT_EQ(result.tests_total, static_cast<int>(sandbox::LiveCodeBenchTests(record).size()));
}

INSTANTIATE_TEST_SUITE_P(
    Lcb, FixtureVerdicts,
    ::testing::Values(
        GradeCase{"fx_sum", "sum_correct", Status::kPassed, -1, 3},
        GradeCase{"fx_sum", "sum_wrong", Status::kWrongAnswer, 0, 1},
        GradeCase{"fx_sum", "sum_wrong_private", Status::kWrongAnswer, 1, 2},
        GradeCase{"fx_sum", "sum_slow", Status::kTimeLimitCpu, 0, 1},
        GradeCase{"fx_sum", "sum_crash", Status::kRuntimeError, 0, 1},
        GradeCase{"fx_sum", "sum_exit_after_print", Status::kPassed, -1, 3},
        GradeCase{"fx_sum", "sum_syntax", Status::kCompileError, 0, 1},
        GradeCase{"fx_avg", "avg_correct", Status::kWrongAnswer, 1, 2},
        GradeCase{"fx_avg", "avg_exact", Status::kPassed, -1, 2},
        GradeCase{"fx_maxpair", "maxpair_correct", Status::kPassed, -1, 3},
        GradeCase{"fx_maxpair", "maxpair_float", Status::kPassed, -1, 3},
        GradeCase{"fx_maxpair", "maxpair_wrong", Status::kWrongAnswer, 0, 1},
        GradeCase{"fx_maxpair", "maxpair_slow", Status::kTimeLimitCpu, 0, 1},
        GradeCase{"fx_maxpair", "maxpair_crash", Status::kRuntimeError, 0, 1},
        GradeCase{"fx_maxpair", "maxpair_missing", Status::kRuntimeError, 0, 1},
        GradeCase{"fx_split", "split_tuple", Status::kPassed, -1, 2},
        GradeCase{"fx_split", "split_nested_tuple", Status::kWrongAnswer, 0, 1},
        GradeCase{"fx_split", "split_state_leak", Status::kPassed, -1, 2}),
    [](const ::testing::TestParamInfo<GradeCase>& info) { return std::string(info.param.solution); });

TEST(GradeLiveCodeBench, EmptyCodeIsCompileErrorWithoutRunning) {
  const auto problems = FixtureProblems();
  const auto result = GradeLiveCodeBench("  \n", problems.at("fx_sum"), ShortLimits());
  EXPECT_EQ(result.status, Status::kCompileError);
  EXPECT_EQ(result.tests_run, 0);
  EXPECT_EQ(result.detail, "no code");
}

TEST(GradeCompletion, ExtractsTheLastBlockByDefault) {
  const auto problems = FixtureProblems();
  const tasks::Record& sum = problems.at("fx_sum");
  const std::string completion = "First try:\n```python\n" + Solution("sum_wrong") +
                                 "```\nFixed:\n```python\n" + Solution("sum_correct") + "```\n";
  EXPECT_EQ(sandbox::GradeCompletion(completion, sum, ShortLimits()).status, Status::kPassed);
  const auto first = sandbox::GradeCompletion(completion, sum, ShortLimits(), "first");
  EXPECT_EQ(first.status, Status::kWrongAnswer);
  EXPECT_EQ(first.first_failed_test, 0);
  const auto none = sandbox::GradeCompletion("I cannot solve this.", sum, ShortLimits());
  EXPECT_EQ(none.status, Status::kCompileError);
  EXPECT_EQ(none.tests_run, 0);
  EXPECT_THROW(sandbox::GradeCompletion(completion, sum, ShortLimits(), "middle"), util::InputError);
}

TEST(GradeLiveCodeBench, MalformedRecordsThrowInputError) {
  const auto problems = FixtureProblems();
  tasks::Record bad = problems.at("fx_maxpair");
  bad.extra["func_name"] = nullptr;
  EXPECT_THROW(GradeLiveCodeBench("x = 1", bad, ShortLimits()), util::InputError);
  bad = problems.at("fx_sum");
  bad.extra["public_tests"][0]["testtype"] = "interactive";
  try {
    GradeLiveCodeBench("x = 1", bad, ShortLimits());
    FAIL() << "expected InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "public_tests[0]");
    EXPECT_EQ(e.where().file, "lcb_problems.jsonl:1");
  }
  bad = problems.at("fx_sum");
  bad.extra.erase("public_tests");
  EXPECT_THROW(GradeLiveCodeBench("x = 1", bad, ShortLimits()), util::InputError);
  bad = problems.at("fx_sum");
  bad.extra["private_tests"] = "not a list";
  EXPECT_THROW(GradeLiveCodeBench("x = 1", bad, ShortLimits()), util::InputError);
}

// Unbiased pass@k (Chen et al. 2021; eval_anchors.md §2.8), written out here as the reference.
double LocalPassAtK(int n, int c, int k) {
  if (n - c < k) return 1.0;
  double prod = 1.0;
  for (int i = n - c + 1; i <= n; ++i) prod *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - prod;
}

TEST(GradeMany, VerdictsAndPassAtK) {
  const auto problems = FixtureProblems();
  // Five samples per problem; c = 2 for fx_sum and 3 for fx_maxpair.
  const std::vector<std::pair<std::string, std::vector<std::string>>> samples = {
      {"fx_sum", {"sum_correct", "sum_wrong", "sum_crash", "sum_exit_after_print", "sum_wrong_private"}},
      {"fx_maxpair", {"maxpair_correct", "maxpair_wrong", "maxpair_float", "maxpair_crash", "maxpair_correct"}},
  };
  std::vector<std::pair<const tasks::Record*, std::string>> jobs;
  for (const auto& [problem, names] : samples) {
    for (const auto& name : names) jobs.emplace_back(&problems.at(problem), Solution(name));
  }
  const auto one = sandbox::GradeMany(jobs, ShortLimits(), 1);
  const auto two = sandbox::GradeMany(jobs, ShortLimits(), 2);
  const auto one_shot = sandbox::GradeMany(jobs, ShortLimits(), 2, /*fork_server=*/false);
  ASSERT_EQ(one.size(), jobs.size());
  ASSERT_EQ(two.size(), jobs.size());
  ASSERT_EQ(one_shot.size(), jobs.size());
  for (size_t i = 0; i < jobs.size(); ++i) {
    EXPECT_EQ(one[i].status, two[i].status) << i;
    EXPECT_EQ(one[i].first_failed_test, two[i].first_failed_test) << i;
    // The fork server grades exactly as fresh interpreters do.
    EXPECT_EQ(one_shot[i].status, two[i].status) << i;
    EXPECT_EQ(one_shot[i].first_failed_test, two[i].first_failed_test) << i;
    EXPECT_EQ(two[i].runner, "fork-server") << i;
    EXPECT_EQ(one_shot[i].runner, "one-shot") << i;
  }
  const std::vector<bool> expected = {true, false, false, true, false, true, false, true, false, true};
  std::map<std::string, int> correct;
  size_t i = 0;
  for (const auto& [problem, names] : samples) {
    for (size_t s = 0; s < names.size(); ++s, ++i) {
      EXPECT_EQ(two[i].passed, expected[i]) << problem << " " << names[s] << ": " << two[i].detail;
      correct[problem] += two[i].passed;
    }
  }
  EXPECT_EQ(correct["fx_sum"], 2);
  EXPECT_EQ(correct["fx_maxpair"], 3);
  // pass@1 = mean(c/n); pass@2 = 1 - C(n-c,2)/C(n,2): fx_sum 1 - 3/10, fx_maxpair 1 - 1/10.
  const double pass1 = (LocalPassAtK(5, 2, 1) + LocalPassAtK(5, 3, 1)) / 2;
  const double pass2 = (LocalPassAtK(5, 2, 2) + LocalPassAtK(5, 3, 2)) / 2;
  EXPECT_DOUBLE_EQ(pass1, 0.5);
  EXPECT_NEAR(pass2, (0.7 + 0.9) / 2, 1e-12);
  EXPECT_NEAR(LocalPassAtK(5, 3, 5), 1.0, 1e-12);
  // The metrics module's estimator agrees.
  EXPECT_NEAR((tasks::metrics::PassAtK(5, 2, 2) + tasks::metrics::PassAtK(5, 3, 2)) / 2, pass2, 1e-12);
  EXPECT_NEAR((tasks::metrics::PassAtK(5, 2, 1) + tasks::metrics::PassAtK(5, 3, 1)) / 2, pass1, 1e-12);
}

// A pool the caller keeps (a trainer's code grader) grades call after call as a fresh pool does, and
// refuses to be shared while it still has jobs outstanding.
TEST(GradeMany, KeptPoolGradesEachCallAsAFreshPool) {
  const auto problems = FixtureProblems();
  std::vector<std::pair<const tasks::Record*, std::string>> jobs;
  for (const char* name : {"sum_correct", "sum_wrong", "sum_crash", "sum_wrong_private"}) {
    jobs.emplace_back(&problems.at("fx_sum"), Solution(name));
  }
  const auto fresh = sandbox::GradeMany(jobs, ShortLimits(), 2);
  sandbox::Pool pool(sandbox::PoolOptions{2, true});
  for (int call = 0; call < 3; ++call) {
    const auto kept = sandbox::GradeMany(jobs, ShortLimits(), pool);
    ASSERT_EQ(kept.size(), jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) {
      EXPECT_EQ(kept[i].passed, fresh[i].passed) << call << " " << i;
      EXPECT_EQ(kept[i].status, fresh[i].status) << call << " " << i;
      EXPECT_EQ(kept[i].first_failed_test, fresh[i].first_failed_test) << call << " " << i;
      EXPECT_EQ(kept[i].tests_run, fresh[i].tests_run) << call << " " << i;
      EXPECT_EQ(kept[i].runner, "fork-server") << call << " " << i;
    }
  }
  EXPECT_TRUE(fresh[0].passed);
  EXPECT_FALSE(fresh[1].passed);
  pool.Submit({"pass", "", ShortLimits()});
  EXPECT_THROW(sandbox::GradeMany(jobs, ShortLimits(), pool), std::logic_error);
  EXPECT_EQ(pool.Next()->result.status, sandbox::Status::kPassed);
}

// A test's run reads the same on a fork server, where the prelude's names come bound (pool.h: Prelude),
// as on the one-shot path, where the driver binds them: the solution's globals and their order, argv,
// the recursion limit, and tracebacks whose line numbers are those of the prelude prepended to the
// solution (LiveCodeBench's compile of import_string + code).
TEST(LiveCodeBenchJob, SameRunOnTheForkServerAsOneShot) {
  const std::string look =
      "import hashlib\n"
      "print(len(globals()), hashlib.sha256(repr(list(globals())).encode()).hexdigest()[:16], argv,\n"
      "      getrecursionlimit(), __name__, type(deque).__name__, sqrt(9))\n";
  const int prelude_lines = static_cast<int>(std::count(sandbox::LiveCodeBenchPrelude().begin(),
                                                        sandbox::LiveCodeBenchPrelude().end(), '\n'));
  struct Case {
    std::string code;
    bool functional;
    int error_line;  // the solution's line the traceback names (1-based); 0: none
  };
  const std::vector<Case> cases = {
      {look + "x = int(input())\nprint(x + y)\n", false, 5},
      {look + "def f(:\n", false, 4},
      {"class Solution:\n    def go(self, a):\n" + std::string("        print(__name__, len(globals()), argv)\n") +
           "        return [a, getrecursionlimit(), floor(2.5)]\n",
       true, 0},
      {"def go(a):\n    return a // 0\n", true, 2},
  };
  sandbox::Pool forked(sandbox::PoolOptions{1, true});
  sandbox::Pool one_shot(sandbox::PoolOptions{1, false});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.code);
    const sandbox::LcbTest test{c.functional ? "7" : "4\n", "", c.functional};
    forked.Submit(sandbox::LiveCodeBenchJob(c.code, test, "go", ShortLimits()));
    one_shot.Submit(sandbox::LiveCodeBenchJob(c.code, test, "go", ShortLimits()));
    const sandbox::RunResult a = forked.Next()->result, b = one_shot.Next()->result;
    ASSERT_EQ(a.runner, "fork-server") << a.runner_note;
    ASSERT_EQ(b.runner, "one-shot");
    EXPECT_EQ(a.stdout_text, b.stdout_text);
    EXPECT_EQ(a.stderr_text, b.stderr_text);
    EXPECT_EQ(a.status, b.status);
    if (c.error_line > 0) {
      // stdin solutions follow the prelude and one empty line; functional ones two (testing_util).
      const int line = prelude_lines + (c.functional ? 2 : 1) + c.error_line;
      EXPECT_NE(a.stderr_text.find("\"<solution>\", line " + std::to_string(line)), std::string::npos)
          << a.stderr_text;
    }
  }
  // What the solution saw: the prelude's names (argv as `python3 main.py` has it; the limit it sets).
  forked.Submit(sandbox::LiveCodeBenchJob(cases[0].code, {"4\n", "", false}, "", ShortLimits()));
  const std::string seen = forked.Next()->result.stdout_text;
  EXPECT_NE(seen.find(" ['main.py'] 50000 __main__ type 3.0\n"), std::string::npos) << seen;
}

// The shared LiveCodeBench file: a few problems of each kind load and a trivially wrong solution
// gets a wrong-answer or runtime-error verdict, never a sandbox error.
TEST(SharedData, TriviallyWrongSolutionsAreGradedWrong) {
  const std::string path = std::string(HARNESS_SHARED_DATA) + "/livecodebench/mavencoder/lcb.jsonl";
  if (!std::ifstream(path).good()) GTEST_SKIP() << path << " not present";
  std::vector<tasks::Record> records;
  try {
    tasks::LoadOptions options;
    options.path = path;
    records = tasks::FindTask("livecodebench").Load(options);
  } catch (const util::InputError&) {
    // Loader not registered in this build: read the rows here.
    std::ifstream in(path);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) records.push_back(FromRawRow(nlohmann::json::parse(line), path + ":" + std::to_string(++n)));
  }
  ASSERT_FALSE(records.empty());
  std::vector<const tasks::Record*> picked;
  int stdin_count = 0, functional_count = 0;
  for (const auto& r : records) {
    const bool functional = !r.extra["func_name"].is_null();
    if (functional && functional_count < 3) {
      ++functional_count;
      picked.push_back(&r);
    } else if (!functional && stdin_count < 3) {
      ++stdin_count;
      picked.push_back(&r);
    }
  }
  ASSERT_EQ(picked.size(), 6u);
  std::vector<std::pair<const tasks::Record*, std::string>> jobs;
  for (const tasks::Record* r : picked) {
    if (r->extra["func_name"].is_null()) {
      jobs.emplace_back(r, "print('harness trivially wrong')\n");
      jobs.emplace_back(r, "import sys\nsys.stdin.read()\nraise RuntimeError('no')\n");
    } else {
      const std::string fn = r->extra["func_name"].get<std::string>();
      jobs.emplace_back(r, "class Solution:\n    def " + fn + "(self, *args):\n        return 'harness wrong'\n");
      jobs.emplace_back(r, "class Solution:\n    def " + fn + "(self, *args):\n        raise RuntimeError('no')\n");
    }
  }
  const auto results = sandbox::GradeMany(jobs, ShortLimits(), 2);
  for (size_t i = 0; i < results.size(); ++i) {
    const Status expected = i % 2 == 0 ? Status::kWrongAnswer : Status::kRuntimeError;
    EXPECT_EQ(sandbox::StatusName(results[i].status), std::string(sandbox::StatusName(expected)))
        << jobs[i].first->id << ": " << results[i].detail;
    EXPECT_EQ(results[i].first_failed_test, 0);
  }
}

}  // namespace
