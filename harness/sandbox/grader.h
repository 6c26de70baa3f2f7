// LiveCodeBench grading on top of RunPython, with the reference semantics of LiveCodeBench's
// lcb_runner/evaluation/testing_util.py (eval_anchors.md §2.7):
//   - stdin tests: output and expected are compared line by line after strip(); a line that differs
//     as a string may still match as a list of Decimals; a different line count is a wrong answer.
//     SystemExit is caught (a program that prints the answer and calls sys.exit(1) is graded on its
//     output), as the reference does;
//   - functional tests: Solution().<func_name>(*args) (or a module-level function when the code has
//     no "class Solution"), each input line json-decoded as one positional argument, the result
//     (a top-level tuple turned into a list) compared to the json-decoded output with Python's ==;
//   - LiveCodeBench's import prelude is prepended to every solution;
//   - public tests, then private tests, stopping at the first failure.
// Each (solution, test) runs in a fresh interpreter state (a fork server's child, or a fresh
// interpreter), so no state leaks between tests. The comparison
// happens here, in the harness: the expected output never enters the sandbox.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/sandbox/pool.h"
#include "harness/sandbox/sandbox.h"
#include "tasks/record.h"

namespace sandbox {

struct GradeResult {
  bool passed = false;
  Status status = Status::kSandboxError;  // kPassed, or the first failing test's verdict
  int tests_run = 0;
  int tests_total = 0;
  int first_failed_test = -1;             // 0-based over public then private tests; -1 when passed
  std::string detail;                     // why the first failing test failed
  double cpu_seconds = 0;                 // summed over the tests run
  double wall_seconds = 0;
  std::string runner;                     // RunResult::runner of the last test run ("" when none ran)
};

// Grades one program. Throws util::InputError (naming record.source and the field) when the record's
// tests are malformed; the program's own failures are verdicts, never exceptions.
GradeResult GradeLiveCodeBench(const std::string& code, const tasks::Record& record, const Limits& limits);

// Extracts the code from a completion's fenced block (tasks::extract::ExtractCode; which = "last",
// LiveCodeBench's rule, or "first") and grades it. No block: kCompileError without running anything.
// Throws util::InputError for another `which`.
GradeResult GradeCompletion(const std::string& completion, const tasks::Record& record, const Limits& limits,
                            const std::string& which = "last");

// Grades many (record, code) pairs on a sandbox Pool of `workers` (<= 0: one per core), on fork servers
// unless `fork_server` is false. Results come back in input order and do not depend on the number of
// workers or the path.
std::vector<GradeResult> GradeMany(const std::vector<std::pair<const tasks::Record*, std::string>>& jobs,
                                   const Limits& limits, int workers, bool fork_server = true);

// The same on a pool the caller keeps (its zygotes start once and serve call after call: a trainer
// grading every step's rollouts). The pool must have nothing outstanding, and no other caller may use it
// until this returns (its verdicts would be taken for this call's).
std::vector<GradeResult> GradeMany(const std::vector<std::pair<const tasks::Record*, std::string>>& jobs,
                                   const Limits& limits, Pool& pool);

// One test of a LiveCodeBench record, as stored in Record.extra.
struct LcbTest {
  std::string input;
  std::string output;
  bool functional = false;
};

// Public then private tests of `record`, validated. Throws util::InputError on a bad layout.
std::vector<LcbTest> LiveCodeBenchTests(const tasks::Record& record);

// LiveCodeBench's stdin comparison (strip, split lines, exact then Decimal per line).
bool StdioOutputMatches(const std::string& output, const std::string& expected);

// Python's == on json.loads() values: numbers (and booleans, as 0/1) compare by value, containers
// elementwise, objects by key set and values.
bool PythonJsonEqual(const nlohmann::json& a, const nlohmann::json& b);

// LiveCodeBench's import prelude (testing_util.import_string), prepended to every solution.
const std::string& LiveCodeBenchPrelude();

// The sandbox job for one test: a driver around the solution (the prelude, the solution as __main__ or
// the functional call), the test's input on stdin, and the prelude's imports as the job's Prelude
// (pool.h), which a fork server binds once. Its output is the same on the one-shot path.
Job LiveCodeBenchJob(const std::string& code, const LcbTest& test, const std::string& func_name,
                     const Limits& limits);

// The active isolation layers and their warnings, as recorded in results.json and printed by the CLI.
nlohmann::json LayersToJson(const Layers& layers);

}  // namespace sandbox
