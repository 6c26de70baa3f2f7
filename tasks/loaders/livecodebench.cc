// LiveCodeBench code generation (Jain et al., 2024; code_generation_lite). Layouts, detected per
// file:
//   original  jsonl with question_title, question_content, question_id (the id), contest_id,
//   platform,
//             contest_date, starter_code, difficulty, public_test_cases (a JSON string of [{input,
//             output, testtype}]), private_test_cases (a JSON string; absent in the mavencoder
//             copy), metadata (a JSON string; func_name for LeetCode's functional problems). The
//             compressed private tests of the real release (base64 -> zlib -> pickle) are refused
//             with a message saying to convert them to JSON offline: the harness never unpickles
//             anything.
//   qwq-v5    QwQ's livecodebench_v5.jsonl {question_id, contest_id, contest_date, prompt, tests:
//   {fname,
//             md5}}: prompts already rendered, tests only by reference. It loads prompts only:
//             question = the rendered prompt (RenderPrompt returns it verbatim), variant
//             "release_v5", both test lists empty. Such records cannot be graded; the sandbox must
//             treat "no tests" as ungradable.
// Record.extra, read by the sandbox grader, has exactly: {"public_tests": [{"input", "output",
// "testtype"}], "private_tests": [...], "func_name": str|null, "platform", "difficulty",
// "contest_date", "contest_id", "starter_code", "question_title"}. kind kCode, gold "" and
// gold_solution "" (programs are graded by tests). Filters (LoadOptions.filters): release
// ("release_v1".."release_v6": contest dates from 2023-05-01 to the end of the release's last
// month, eval_anchors.md 1.7), start_date / end_date ("YYYY-MM-DD", inclusive, on the date part of
// contest_date), platform and difficulty (a name or a list), exclude (a list of question_ids /
// title slugs; the entry "errata" stands for LcbErrataIds()). Nothing is excluded unless asked.
// Unknown keys or values are InputErrors.
#include "tasks/loaders/livecodebench.h"

#include <algorithm>
#include <set>

#include "harness/util/json_io.h"
#include "harness/util/text.h"
#include "tasks/loaders/families.h"
#include "tasks/loaders/source.h"
#include "tasks/loaders/task_base.h"

namespace tasks::loaders {

const std::vector<std::string>& LcbErrataIds() {
  // LiveCodeBench ERRATA.md (LiveCodeBench/LiveCodeBench @ 174aacf0), plus arc189_a from the newer
  // copy quoted in eval_anchors.md 1.7.
  static const std::vector<std::string> kErrata = {
      // multiple solutions accepted
      "abc311_c", "abc326_d", "abc327_b", "abc333_e", "abc343_e", "abc362_c",
      "find-words-containing-character", "find-the-peaks",
      "generate-binary-strings-without-adjacent-zeros",
      // interactive
      "abc337_e", "abc355_e",
      // erroneous test cases
      "abc350_c", "arc189_a"};
  return kErrata;
}

namespace {

struct Release {
  const char* name;
  const char* end_date;
};

constexpr const char* kFirstContestDate = "2023-05-01";
constexpr Release kReleases[] = {{"release_v1", "2024-03-31"}, {"release_v2", "2024-05-31"},
                                 {"release_v3", "2024-07-31"}, {"release_v4", "2024-09-30"},
                                 {"release_v5", "2025-01-31"}, {"release_v6", "2025-04-30"}};

std::vector<std::string> ReleaseNames() {
  std::vector<std::string> out;
  for (const auto& r : kReleases) out.push_back(r.name);
  return out;
}

util::Location FilterAt(const std::string& key) { return util::Location{"", 0, "filters." + key}; }

// `what` names the kind of value ("platform", "filter"); the error points at filters.<key>.
[[noreturn]] void UnknownName(const std::string& key, const std::string& value,
                              const std::vector<std::string>& known, const std::string& what = "") {
  throw util::InputError(FilterAt(key), "unknown " + (what.empty() ? key : what) + " '" + value + "'" +
                                            util::DidYouMean(value, known, "known"));
}

bool IsDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int month = std::stoi(s.substr(5, 2)), day = std::stoi(s.substr(8, 2));
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

struct Filters {
  std::string release;
  std::string start = "0000-00-00";
  std::string end = "9999-99-99";
  std::set<std::string> platforms, difficulties, exclude;
};

// A string or a list of strings, each among `known` (or anything when `known` is empty).
std::set<std::string> NameSet(const nlohmann::json& value, const std::string& key,
                              const std::vector<std::string>& known) {
  std::vector<std::string> names;
  if (value.is_string()) {
    names.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const auto& v : value) {
      if (!v.is_string())
        throw util::InputError(FilterAt(key), "expected strings, got " + util::JsonTypeName(v));
      names.push_back(v.get<std::string>());
    }
  } else {
    throw util::InputError(
        FilterAt(key), "expected a string or a list of strings, got " + util::JsonTypeName(value));
  }
  std::set<std::string> out;
  for (const auto& n : names) {
    if (!known.empty() && std::find(known.begin(), known.end(), n) == known.end())
      UnknownName(key, n, known);
    out.insert(n);
  }
  return out;
}

Filters ParseFilters(const nlohmann::json& filters) {
  Filters f;
  if (filters.is_null()) return f;
  if (!filters.is_object()) {
    throw util::InputError(util::Location{"", 0, "filters"},
                           "expected an object, got " + util::JsonTypeName(filters));
  }
  const std::vector<std::string> keys = {"release",  "start_date", "end_date",
                                         "platform", "difficulty", "exclude"};
  for (auto it = filters.begin(); it != filters.end(); ++it) {
    const std::string& key = it.key();
    const nlohmann::json& value = it.value();
    if (std::find(keys.begin(), keys.end(), key) == keys.end())
      UnknownName(key, key, keys, "filter");
    if (key == "release") {
      if (!value.is_string())
        throw util::InputError(FilterAt(key), "expected a string like \"release_v1\"");
      f.release = value.get<std::string>();
      bool found = false;
      for (const auto& r : kReleases) {
        if (f.release == r.name) {
          found = true;
          f.start = std::max(f.start, std::string(kFirstContestDate));
          f.end = std::min(f.end, std::string(r.end_date));
        }
      }
      if (!found) UnknownName(key, f.release, ReleaseNames());
    } else if (key == "start_date" || key == "end_date") {
      if (!value.is_string() || !IsDate(value.get<std::string>())) {
        throw util::InputError(FilterAt(key),
                               "expected a date \"YYYY-MM-DD\", got " + value.dump());
      }
      if (key == "start_date") f.start = std::max(f.start, value.get<std::string>());
      if (key == "end_date") f.end = std::min(f.end, value.get<std::string>());
    } else if (key == "platform") {
      f.platforms = NameSet(value, key, {"leetcode", "codeforces", "atcoder"});
    } else if (key == "difficulty") {
      f.difficulties = NameSet(value, key, {"easy", "medium", "hard"});
    } else if (key == "exclude") {
      for (const auto& id : NameSet(value, key, {})) {
        if (id == "errata") {
          f.exclude.insert(LcbErrataIds().begin(), LcbErrataIds().end());
        } else {
          f.exclude.insert(id);
        }
      }
    }
  }
  return f;
}

// A field that is a JSON string holding JSON (LCB's encoding), or already-decoded JSON.
nlohmann::json EmbeddedJson(const SourceRecord& s, const std::string& field) {
  const nlohmann::json& value = util::RequireField(s.value, field, s.where);
  if (!value.is_string()) return value;
  const std::string text = util::Trim(value.get<std::string>());
  if (text.empty()) return nlohmann::json::array();
  if (field == "private_test_cases" && text.front() != '[') {
    throw util::InputError(
        At(s, field),
        "private tests are in LiveCodeBench's compressed form (base64 -> zlib -> pickle); convert "
        "them to a JSON string offline (decode, unpickle in a trusted environment, json.dumps). "
        "The harness never unpickles data");
  }
  return util::ParseEmbeddedJson(text, At(s, field));
}

nlohmann::json TestList(const SourceRecord& s, const std::string& field) {
  const nlohmann::json list = EmbeddedJson(s, field);
  if (!list.is_array())
    throw util::InputError(At(s, field),
                           "expected a list of tests, got " + util::JsonTypeName(list));
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < list.size(); ++i) {
    const util::Location at = At(s, field + "[" + std::to_string(i) + "]");
    const nlohmann::json& t = list[i];
    auto str = [&](const char* key) {
      util::Location where = at;
      where.field = at.field + "." + key;
      if (!t.is_object())
        throw util::InputError(at, "expected a test object, got " + util::JsonTypeName(t));
      auto it = t.find(key);
      if (it == t.end()) throw util::InputError(where, "missing required field");
      if (!it->is_string())
        throw util::InputError(where, "expected a string, got " + util::JsonTypeName(*it));
      return it->get<std::string>();
    };
    const std::string input = str("input"), output = str("output"), type = str("testtype");
    if (type != "stdin" && type != "functional") {
      util::Location where = at;
      where.field += ".testtype";
      throw util::InputError(where, "expected \"stdin\" or \"functional\", got \"" + type + "\"");
    }
    out.push_back({{"input", input}, {"output", output}, {"testtype", type}});
  }
  return out;
}

bool HasFunctional(const nlohmann::json& tests) {
  for (const auto& t : tests) {
    if (t["testtype"] == "functional") return true;
  }
  return false;
}

class LiveCodeBench : public TaskBase {
 public:
  std::string name() const override { return "livecodebench"; }
  bool graded_by_tests() const override { return true; }
  std::string version() const override { return "1"; }
  std::vector<std::string> variants() const override { return ReleaseNames(); }
  std::string description() const override {
    return "LiveCodeBench code_generation_lite jsonl (JSON-string public/private tests, "
           "metadata.func_name); "
           "filters release/start_date/end_date/platform/difficulty/exclude (\"errata\"); QwQ "
           "livecodebench_v5.jsonl loads prompts only (no tests)";
  }
  std::vector<std::string> templates() const override {
    return {"lcb-codegen-v1", "zeroshot-cot-v1"};
  }

  std::vector<Record> Load(const LoadOptions& options) const override {
    const Filters filters = ParseFilters(options.filters);
    const std::vector<SourceRecord> sources = ReadRecords(options.path);
    const bool rendered = sources.front().value.contains("prompt") &&
                          !sources.front().value.contains("question_content");
    std::string variant = options.variant.empty() ? filters.release : options.variant;
    if (variant.empty() && rendered) variant = "release_v5";
    if (!variant.empty()) CheckVariant(variant, variants(), name(), options.path);

    std::vector<Record> records;
    for (const SourceRecord& s : sources) {
      Record r;
      r.task = name();
      r.variant = variant;
      r.kind = AnswerKind::kCode;
      r.source = SourceString(s);
      r.id = util::RequireScalarAsString(s.value, "question_id", s.where);
      const std::string contest_date = util::RequireString(s.value, "contest_date", s.where);
      if (contest_date.size() < 10 || !IsDate(contest_date.substr(0, 10))) {
        throw util::InputError(
            At(s, "contest_date"),
            "expected an ISO date \"YYYY-MM-DDTHH:MM:SS\", got \"" + contest_date + "\"");
      }
      nlohmann::json extra;
      std::string title;
      if (rendered) {
        r.question = util::RequireString(s.value, "prompt", s.where);
        extra = {{"public_tests", nlohmann::json::array()},
                 {"private_tests", nlohmann::json::array()},
                 {"func_name", nullptr},
                 {"platform", ""},
                 {"difficulty", ""},
                 {"contest_date", contest_date},
                 {"contest_id", util::RequireScalarAsString(s.value, "contest_id", s.where)},
                 {"starter_code", ""},
                 {"question_title", ""}};
      } else {
        r.question = util::RequireString(s.value, "question_content", s.where);
        title = util::RequireString(s.value, "question_title", s.where);
        nlohmann::json public_tests = TestList(s, "public_test_cases");
        nlohmann::json private_tests = Has(s.value, "private_test_cases")
                                           ? TestList(s, "private_test_cases")
                                           : nlohmann::json::array();
        nlohmann::json func_name = nullptr;
        if (Has(s.value, "metadata")) {
          const nlohmann::json metadata = EmbeddedJson(s, "metadata");
          if (!metadata.is_object()) {
            throw util::InputError(At(s, "metadata"),
                                   "expected an object, got " + util::JsonTypeName(metadata));
          }
          if (metadata.contains("func_name")) {
            if (!metadata["func_name"].is_string()) {
              throw util::InputError(At(s, "metadata.func_name"), "expected a string");
            }
            func_name = metadata["func_name"];
          }
        }
        if (func_name.is_null() && (HasFunctional(public_tests) || HasFunctional(private_tests))) {
          throw util::InputError(At(s, "metadata.func_name"),
                                 "functional tests need the function's name");
        }
        extra = {{"public_tests", std::move(public_tests)},
                 {"private_tests", std::move(private_tests)},
                 {"func_name", func_name},
                 {"platform", util::RequireString(s.value, "platform", s.where)},
                 {"difficulty", util::RequireString(s.value, "difficulty", s.where)},
                 {"contest_date", contest_date},
                 {"contest_id", util::RequireScalarAsString(s.value, "contest_id", s.where)},
                 {"starter_code", util::RequireString(s.value, "starter_code", s.where)},
                 {"question_title", title}};
      }
      const std::string date = contest_date.substr(0, 10);
      if (date < filters.start || date > filters.end) continue;
      if (!filters.platforms.empty() &&
          !filters.platforms.count(extra["platform"].get<std::string>()))
        continue;
      if (!filters.difficulties.empty() &&
          !filters.difficulties.count(extra["difficulty"].get<std::string>()))
        continue;
      if (filters.exclude.count(r.id) || (!title.empty() && filters.exclude.count(title))) continue;
      r.extra = std::move(extra);
      records.push_back(std::move(r));
    }
    return records;
  }

 protected:
  AnswerKind main_kind() const override { return AnswerKind::kCode; }
  std::string Render(const Record& record, const std::string& template_name,
                     const PromptOptions&) const override {
    // QwQ's file already holds the rendered prompt.
    if (record.extra.value("question_title", "").empty() &&
        record.extra.value("platform", "").empty()) {
      return record.question;
    }
    // LiveCodeBench lcb_runner/prompts/code_generation.py (eval_anchors.md 2.7); the system message
    // leads the single-string prompt.
    std::string out =
        "You are an expert Python programmer. You will be given a question (problem specification) "
        "and will "
        "generate a correct Python program that matches the specification and passes all tests.\n\n"
        "### Question:\n" +
        record.question + "\n\n";
    const std::string starter = record.extra.value("starter_code", "");
    if (!starter.empty()) {
      out +=
          "### Format: You will use the following starter code to write the solution to the "
          "problem and "
          "enclose your code within delimiters.\n```python\n" +
          starter + "\n```\n\n";
    } else {
      out +=
          "### Format: Read the inputs from stdin solve the problem and write the answer to stdout "
          "(do not "
          "directly test on the sample inputs). Enclose your code within delimiters as follows. "
          "Ensure that "
          "when the python program runs, it reads the inputs, runs the algorithm and writes output "
          "to "
          "STDOUT.\n```python\n# YOUR CODE HERE\n```\n\n";
    }
    if (template_name == "zeroshot-cot-v1") {
      out +=
          "Think step by step about the algorithm first, then give the complete program in one "
          "final "
          "```python block.\n\n";
    }
    return out + "### Answer: (use the provided format with backticks)\n\n";
  }
};

}  // namespace

const Task& LivecodebenchTask() {
  static const LiveCodeBench task;
  return task;
}

}  // namespace tasks::loaders
