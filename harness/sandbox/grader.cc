// LiveCodeBench grading: validates a record's tests, writes the small Python driver for each
// (solution, test), runs it through a sandbox Pool (pool.h: fork servers, one-shot fallback),
// compares in the harness, and grades many programs at once. Semantics are documented in grader.h.
#include "harness/sandbox/grader.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string_view>
#include <thread>

#include "harness/sandbox/pool.h"
#include "harness/util/error.h"
#include "tasks/extract/extract.h"

namespace sandbox {

namespace {

// Marks the functional driver's result line on stdout; whatever the solution printed comes before.
constexpr const char* kResultMarker = "\x1e" "HARNESS-LCB-RESULT\x1e";

// A Python string literal holding `text`: JSON string syntax is valid Python for what dump() emits
// (it never writes "\/"); invalid UTF-8 is replaced so that dump() cannot throw.
std::string PyLiteral(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// LiveCodeBench's prelude (lcb_runner/evaluation/testing_util.py `import_string`, verbatim) in two parts:
// its imports, which a fork server binds once (pool.h: Prelude), and the rest, run with each solution.
constexpr const char* kLcbPreludeImports =
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\n"
    "from heapq import *\nfrom bisect import *\nfrom copy import *\nfrom math import *\n"
    "from random import *\nfrom statistics import *\nfrom itertools import *\n"
    "from functools import *\nfrom operator import *\nfrom io import *\nfrom sys import *\n"
    "from json import *\nfrom builtins import *\nfrom typing import *\nimport string\nimport re\n"
    "import datetime\nimport collections\nimport heapq\nimport bisect\nimport copy\nimport math\n"
    "import random\nimport statistics\nimport itertools\nimport functools\nimport operator\n"
    "import io\nimport sys\nimport json\n";
constexpr const char* kLcbPreludeRest = "sys.setrecursionlimit(50000)\n";

// The solution's source as the driver compiles it: the prelude's imports replaced by as many empty
// lines (they are bound already), so that line numbers in tracebacks are those of prelude + solution.
std::string SolutionSource(const std::string& separator, const std::string& code) {
  static const std::string kBlankImports = [] {
    const std::string_view imports = kLcbPreludeImports;
    return std::string(static_cast<size_t>(std::count(imports.begin(), imports.end(), '\n')), '\n');
  }();
  return kBlankImports + kLcbPreludeRest + separator + code;
}

// The driver's lines that take the namespace a fork server bound (pool.h: Prelude) or bind it here.
std::string BindPrelude(const std::string& target, const std::string& fresh, const std::string& names) {
  return target + " = globals().pop(" + PyLiteral(kPreludeGlobal) + ", None)\n"
         "if " + target + " is None:\n"
         "    " + target + " = " + fresh + "\n"
         "    exec(compile(" + PyLiteral(kLcbPreludeImports) + ", '<solution>', 'exec'), " + names + ")\n";
}

// stdin tests: run the solution as __main__ with the prelude; SystemExit ends it normally, as in
// testing_util.call_method.
std::string StdioDriver(const std::string& code) {
  return "import sys\n" +
         BindPrelude("_harness_globals", "{'__name__': '__main__', '__builtins__': __builtins__}", "_harness_globals") +
         "_harness_source = " + PyLiteral(SolutionSource("\n", code)) + "\n"
         "try:\n"
         "    exec(compile(_harness_source, '<solution>', 'exec'), _harness_globals)\n"
         "except SystemExit:\n"
         "    pass\n";
}

// Functional tests: testing_util.compile_code + grade_call_based. The arguments come on stdin; the
// result goes to stdout after the marker. Nested tuples are tagged so that, as with Python's ==, a
// tuple inside the result never equals a list in the expected output; values json cannot encode
// (sets, NaN) become a tag that equals nothing.
std::string FunctionalDriver(const std::string& code, const std::string& func_name) {
  return "import sys, json, types\n"
         "_harness_input = sys.stdin.read()\n" +
         BindPrelude("_harness_module", "types.ModuleType('tmp_sol', '')", "_harness_module.__dict__") +
         "_harness_source = " + PyLiteral(SolutionSource("\n\n", code)) + "\n"
         "exec(compile(_harness_source, '<solution>', 'exec'), _harness_module.__dict__)\n"
         "_harness_target = _harness_module.Solution() if 'class Solution' in _harness_source "
         "else _harness_module\n"
         "_harness_fn = getattr(_harness_target, " + PyLiteral(func_name) + ", None)\n"
         "if _harness_fn is None:\n"
         "    sys.stderr.write('failed: Missing entry point\\n')\n"
         "    sys.exit(3)\n"
         "_harness_args = [json.loads(line) for line in _harness_input.split('\\n')]\n"
         "_harness_result = _harness_fn(*_harness_args)\n"
         "def _harness_tag(v):\n"
         "    if isinstance(v, tuple):\n"
         "        return {'\\x00tuple': [_harness_tag(x) for x in v]}\n"
         "    if isinstance(v, list):\n"
         "        return [_harness_tag(x) for x in v]\n"
         "    if isinstance(v, dict):\n"
         "        return {k: _harness_tag(x) for k, x in v.items()}\n"
         "    return v\n"
         "if isinstance(_harness_result, tuple):\n"
         "    _harness_result = list(_harness_result)\n"
         "if isinstance(_harness_result, list):\n"
         "    _harness_result = [_harness_tag(x) for x in _harness_result]\n"
         "else:\n"
         "    _harness_result = _harness_tag(_harness_result)\n"
         "try:\n"
         "    _harness_text = json.dumps(_harness_result, allow_nan=False)\n"
         "except (TypeError, ValueError) as e:\n"
         "    _harness_text = json.dumps({'\\x00unencodable': type(_harness_result).__name__})\n"
         "sys.stdout.flush()\n"
         "sys.stdout.write('\\n' + " + PyLiteral(kResultMarker) + " + _harness_text + '\\n')\n"
         "sys.stdout.flush()\n";
}

std::string Shorten(const std::string& s, size_t max = 200) {
  if (s.size() <= max) return s;
  return s.substr(0, max) + "...";
}

std::string LastLine(const std::string& text) {
  const size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  const size_t start = text.rfind('\n', end);
  const size_t from = start == std::string::npos ? 0 : start + 1;
  return text.substr(from, end - from + 1);
}

// The verdict of one test from its run; `detail` says why it failed.
Status CheckTest(const RunResult& run, const LcbTest& test, std::string* detail) {
  if (run.status != Status::kPassed) {
    *detail = std::string(StatusName(run.status)) + ": " +
              Shorten(run.detail.empty() ? LastLine(run.stderr_text) : run.detail);
    return run.status;
  }
  if (!test.functional) {
    if (StdioOutputMatches(run.stdout_text, test.output)) return Status::kPassed;
    *detail = "expected " + Shorten(test.output) + " got " + Shorten(run.stdout_text);
    return Status::kWrongAnswer;
  }
  const size_t at = run.stdout_text.rfind(kResultMarker);
  if (at == std::string::npos) {
    *detail = "the driver printed no result";
    return Status::kRuntimeError;
  }
  const std::string payload = run.stdout_text.substr(at + std::string(kResultMarker).size());
  const nlohmann::json got = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  const nlohmann::json want = nlohmann::json::parse(test.output, nullptr, false);
  if (!got.is_discarded() && !want.is_discarded() && PythonJsonEqual(got, want)) return Status::kPassed;
  *detail = "expected " + Shorten(test.output) + " got " + Shorten(LastLine(payload));
  return Status::kWrongAnswer;
}

void ReadTests(const tasks::Record& record, const char* field, std::vector<LcbTest>* out) {
  const util::Location where{record.source, 0, field};
  const auto it = record.extra.find(field);
  if (it == record.extra.end() || it->is_null()) {
    if (std::string(field) == "public_tests") {
      throw util::InputError(where, "LiveCodeBench record " + record.id + " has no public_tests");
    }
    return;
  }
  if (!it->is_array()) throw util::InputError(where, "must be an array, got " + std::string(it->type_name()));
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& t = (*it)[i];
    const util::Location at{record.source, 0, std::string(field) + "[" + std::to_string(i) + "]"};
    if (!t.is_object()) throw util::InputError(at, "test must be an object");
    for (const char* key : {"input", "output", "testtype"}) {
      if (!t.contains(key) || !t[key].is_string()) {
        throw util::InputError(at, std::string("missing or non-string '") + key + "'");
      }
    }
    const std::string type = t["testtype"].get<std::string>();
    if (type != "stdin" && type != "functional") {
      throw util::InputError(at, "testtype must be 'stdin' or 'functional', got '" + type + "'");
    }
    out->push_back({t["input"].get<std::string>(), t["output"].get<std::string>(), type == "functional"});
  }
}

std::string FuncName(const tasks::Record& record) {
  const auto it = record.extra.find("func_name");
  if (it == record.extra.end() || it->is_null()) return "";
  if (!it->is_string()) {
    throw util::InputError(util::Location{record.source, 0, "func_name"}, "must be a string or null");
  }
  return it->get<std::string>();
}

}  // namespace

Job LiveCodeBenchJob(const std::string& code, const LcbTest& test, const std::string& func_name,
                     const Limits& limits) {
  return Job{test.functional ? FunctionalDriver(code, func_name) : StdioDriver(code), test.input, limits,
             Prelude{kLcbPreludeImports, test.functional ? "tmp_sol" : ""}};
}

const std::string& LiveCodeBenchPrelude() {
  static const std::string kPrelude = std::string(kLcbPreludeImports) + kLcbPreludeRest;
  return kPrelude;
}

std::vector<LcbTest> LiveCodeBenchTests(const tasks::Record& record) {
  std::vector<LcbTest> tests;
  ReadTests(record, "public_tests", &tests);
  ReadTests(record, "private_tests", &tests);
  if (tests.empty()) {
    throw util::InputError(util::Location{record.source, 0, "public_tests"},
                           "LiveCodeBench record " + record.id + " has no tests");
  }
  const bool any_functional =
      std::any_of(tests.begin(), tests.end(), [](const LcbTest& t) { return t.functional; });
  if (any_functional && FuncName(record).empty()) {
    throw util::InputError(util::Location{record.source, 0, "func_name"},
                           "functional tests need a func_name");
  }
  return tests;
}

GradeResult GradeLiveCodeBench(const std::string& code, const tasks::Record& record, const Limits& limits) {
  return GradeMany({{&record, code}}, limits, 1).front();
}

GradeResult GradeCompletion(const std::string& completion, const tasks::Record& record, const Limits& limits,
                            const std::string& which) {
  const tasks::ExtractedAnswer code = tasks::extract::ExtractCode(completion, which);
  if (!code.valid) {
    GradeResult result;
    result.tests_total = static_cast<int>(LiveCodeBenchTests(record).size());
    result.status = Status::kCompileError;
    result.first_failed_test = 0;
    result.detail = "no code block in the completion";
    return result;
  }
  return GradeLiveCodeBench(code.value, record, limits);
}

std::vector<GradeResult> GradeMany(const std::vector<std::pair<const tasks::Record*, std::string>>& jobs,
                                   const Limits& limits, int workers, bool fork_server) {
  if (workers <= 0) workers = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  workers = std::min<int>(workers, static_cast<int>(std::max<size_t>(1, jobs.size())));
  Pool pool(PoolOptions{workers, fork_server});  // zygotes start with the first job, after validation
  return GradeMany(jobs, limits, pool);
}

std::vector<GradeResult> GradeMany(const std::vector<std::pair<const tasks::Record*, std::string>>& jobs,
                                   const Limits& limits, Pool& pool) {
  if (pool.Outstanding() != 0) throw std::logic_error("GradeMany: the pool has jobs outstanding");
  // Validate every record first, so that bad input fails before any program runs.
  std::vector<std::vector<LcbTest>> tests;
  std::vector<std::string> func_names;
  for (const auto& job : jobs) {
    tests.push_back(LiveCodeBenchTests(*job.first));
    func_names.push_back(FuncName(*job.first));
  }
  std::vector<GradeResult> results(jobs.size());
  std::map<uint64_t, size_t> job_of;  // pool job id -> index into `jobs`
  auto submit_next_test = [&](size_t i) {
    job_of[pool.Submit(LiveCodeBenchJob(jobs[i].second, tests[i][results[i].tests_run], func_names[i], limits))] = i;
    ++results[i].tests_run;
  };
  for (size_t i = 0; i < jobs.size(); ++i) {
    results[i].tests_total = static_cast<int>(tests[i].size());
    if (jobs[i].second.find_first_not_of(" \t\r\n") == std::string::npos) {
      results[i].status = Status::kCompileError;
      results[i].first_failed_test = 0;
      results[i].detail = "no code";
      continue;
    }
    submit_next_test(i);
  }
  // Public tests, then private ones, one at a time per program, stopping at the first failure.
  while (std::optional<Verdict> verdict = pool.Next()) {
    const size_t i = job_of.at(verdict->id);
    GradeResult& result = results[i];
    const int t = result.tests_run - 1;
    result.cpu_seconds += verdict->result.cpu_seconds;
    result.wall_seconds += verdict->result.wall_seconds;
    result.runner = verdict->result.runner;
    std::string detail;
    const Status status = CheckTest(verdict->result, tests[i][t], &detail);
    if (status != Status::kPassed) {
      result.status = status;
      result.first_failed_test = t;
      result.detail = "test " + std::to_string(t) + ": " + detail;
    } else if (result.tests_run < result.tests_total) {
      submit_next_test(i);
    } else {
      result.passed = true;
      result.status = Status::kPassed;
    }
  }
  return results;
}

nlohmann::json LayersToJson(const Layers& layers) {
  return {{"rlimits", layers.rlimits},
          {"unprivileged_uid", layers.unprivileged_uid},
          {"pid_namespace", layers.pid_namespace},
          {"network_namespace", layers.network_namespace},
          {"mount_namespace", layers.mount_namespace},
          {"seccomp", layers.seccomp},
          {"process_group_kill", layers.process_group_kill},
          {"scrubbed_environment", layers.scrubbed_environment},
          {"warnings", layers.warnings}};
}

}  // namespace sandbox
