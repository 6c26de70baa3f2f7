// MathQA (Amini et al., 2019): multiple choice with 5 options. Layouts, detected per file:
//   original   ongzexuan/mathqa-evaluation test.json / challenge_test.json, a JSON array of the
//   original
//              7 fields {Problem, Rationale, options, correct, annotated_formula, linear_formula,
//              category}; test.json adds `processed_options` (kept in extra). A sibling
//              "<name>_broken.txt" (test.json -> test_broken.txt, challenge_test.json ->
//              challenge_broken.txt) lists 0-based indices of records the dataset marks broken;
//              they load with Record::broken = true.
//   harness    math-evaluation-harness test.jsonl (1000-item subset): {problem, rationale, options,
//              correct, annotated_formula, linear_formula, type}; 16 records store `options` as a
//              Python-list string "['a ) 1', ...]", parsed as a literal (never eval'd).
//   reft       mwp_ReFT mathqa_test_set.json {item_id, question (problem + "\n" + options),
//   answer_value
//              "a"} and mathqa-numeric_test_set.json {item_id, question, answer_value "38.0"}
//              (kNumeric).
// Letter case: the datasets write options and golds in lowercase ("a ) 38", correct "a"); records
// use uppercase (gold "A", choices shown as "(A) 38"), the convention of every other MC task here.
// Extraction accepts MathQA's lowercase "c )" style as well.
// ids: item_id for ReFT files, else the 0-based index in the file.
// gold_solution: the rationales end in free-form "answer : c" text that is not reliably marked, so
// every record gets the reference "The answer is (C)." ("The answer is 38." for numeric records).
#include <re2/re2.h>

#include <cctype>
#include <filesystem>
#include <set>

#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "harness/util/text.h"
#include "tasks/loaders/choice_prompts.h"
#include "tasks/loaders/families.h"
#include "tasks/loaders/math_prompts.h"
#include "tasks/loaders/py_literal.h"
#include "tasks/loaders/reft_layout.h"
#include "tasks/loaders/source.h"
#include "tasks/loaders/task_base.h"

namespace tasks::loaders {

namespace {

// Trims spaces and trailing commas around an option text.
std::string CleanOption(const std::string& text) {
  std::string s = util::Trim(text);
  while (!s.empty() && s.back() == ',') s = util::Trim(s.substr(0, s.size() - 1));
  return s;
}

// Removes the leading "a )" / "a)" marker of a list-style option ("['a ) 12', ...]").
std::string StripMarker(const std::string& option, char letter) {
  std::string s = util::Trim(option);
  if (!s.empty() && std::tolower(static_cast<unsigned char>(s[0])) == letter) {
    size_t k = 1;
    while (k < s.size() && s[k] == ' ') ++k;
    if (k < s.size() && s[k] == ')') s = s.substr(k + 1);
  }
  return CleanOption(s);
}

std::vector<std::string> ParseOptions(const std::string& text, const util::Location& where) {
  const std::string trimmed = util::Trim(text);
  std::vector<std::string> options;
  if (!trimmed.empty() && trimmed.front() == '[') {
    nlohmann::json list = ParsePythonLiteral(trimmed, where);
    if (!list.is_array() || list.size() != 5) {
      throw util::InputError(where, "expected a list of 5 options, got " + trimmed);
    }
    for (size_t i = 0; i < 5; ++i) {
      if (!list[i].is_string()) throw util::InputError(where, "options must be strings");
      options.push_back(StripMarker(list[i].get<std::string>(), static_cast<char>('a' + i)));
    }
    return options;
  }
  // lm-eval splits on "[abcd] \) .*?, |e \) .*?$"; this is the same split, tolerant of the spacing
  // variants the files contain ("a ) 12, b ) 15" as well as "a ) 12 , b ) 15").
  static const RE2 kOptions(
      R"((?s)^\s*[aA]\s*\)(.*?),\s*[bB]\s*\)(.*?),\s*[cC]\s*\)(.*?),\s*[dD]\s*\)(.*?),\s*[eE]\s*\)(.*)$)");
  std::string a, b, c, d, e;
  if (!RE2::FullMatch(trimmed, kOptions, &a, &b, &c, &d, &e)) {
    throw util::InputError(
        where,
        "expected 5 options \"a ) .. , b ) .. , c ) .. , d ) .. , e ) ..\", got '" + trimmed + "'");
  }
  for (const std::string* o : {&a, &b, &c, &d, &e}) options.push_back(CleanOption(*o));
  return options;
}

std::string GoldLetter(const std::string& correct, const util::Location& where) {
  const std::string c = util::ToLower(util::Trim(correct));
  if (c.size() != 1 || c[0] < 'a' || c[0] > 'e') {
    throw util::InputError(where, "expected one of a, b, c, d, e, got '" + correct + "'");
  }
  return std::string(1, static_cast<char>(std::toupper(c[0])));
}

// 0-based indices from "<stem>_broken.txt" beside the data file (empty when there is none).
std::set<long> BrokenIndices(const std::string& path, size_t record_count) {
  std::string stem = FileStem(path);
  if (util::EndsWith(stem, "_test")) stem = stem.substr(0, stem.size() - 5);
  const std::string list =
      (std::filesystem::path(path).parent_path() / (stem + "_broken.txt")).string();
  std::set<long> out;
  if (!util::FileExists(list)) return out;
  const std::vector<std::string> lines = util::Split(util::ReadFile(list), '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string token = util::Trim(lines[i]);
    if (token.empty()) continue;
    bool digits = true;
    for (char ch : token) digits = digits && ch >= '0' && ch <= '9';
    if (!digits || token.size() > 9 || std::stol(token) >= static_cast<long>(record_count)) {
      throw util::InputError(util::Location{list, static_cast<long>(i + 1), ""},
                             "expected a 0-based record index below " +
                                 std::to_string(record_count) + ", got '" + token + "'");
    }
    out.insert(std::stol(token));
  }
  return out;
}

void KeepString(const SourceRecord& s, const std::string& field, Record& r, const std::string& as) {
  if (auto v = util::OptionalString(s.value, field, s.where)) r.extra[as] = *v;
}

class Mathqa : public TaskBase {
 public:
  std::string name() const override { return "mathqa"; }
  std::string version() const override { return "2"; }  // 2: exact numeric equivalence
  std::vector<std::string> variants() const override { return {"test", "challenge", "numeric"}; }
  std::string description() const override {
    return "MathQA JSON arrays (Problem, Rationale, options 'a ) .. , b ) ..', correct; test.json "
           "processed_options; *_broken.txt), math-evaluation-harness test.jsonl (renamed keys, "
           "list-style "
           "options), mwp_ReFT mathqa_test_set.json (MCQ) and mathqa-numeric_test_set.json "
           "(numeric)";
  }
  std::vector<std::string> templates() const override { return {"zeroshot-cot-v1", "qa-v1"}; }

  std::vector<Record> Load(const LoadOptions& options) const override {
    const std::vector<SourceRecord> sources = ReadRecords(options.path);
    const nlohmann::json& first = sources.front().value;
    const bool reft = IsReftLayout(first);
    bool numeric = false;
    if (reft) {
      const std::string v =
          util::RequireScalarAsString(first, "answer_value", sources.front().where);
      numeric = !(util::Trim(v).size() == 1 &&
                  std::isalpha(static_cast<unsigned char>(util::Trim(v)[0])));
    }
    const bool original = first.contains("Problem");
    std::string variant = options.variant;
    if (variant.empty()) {
      variant = numeric
                    ? "numeric"
                    : (util::ToLower(FileStem(options.path)).find("challenge") != std::string::npos
                           ? "challenge"
                           : "test");
    }
    CheckVariant(variant, variants(), name(), options.path);
    if ((variant == "numeric") != numeric) {
      throw util::InputError(
          util::Location{options.path, 0, "variant"},
          numeric ? "this file holds numeric answers (mathqa-numeric); its variant is 'numeric'"
                  : "variant 'numeric' needs the ReFT mathqa-numeric file");
    }
    const std::set<long> broken =
        original ? BrokenIndices(options.path, sources.size()) : std::set<long>{};

    std::vector<Record> records;
    records.reserve(sources.size());
    for (const SourceRecord& s : sources) {
      Record r;
      r.task = name();
      r.variant = variant;
      r.source = SourceString(s);
      r.broken = broken.count(s.index) > 0;
      if (reft) {
        const std::string value = ReadReftRecord(s, r);
        if (numeric) {
          r.kind = AnswerKind::kNumeric;
          r.gold = CanonicalNumber(value, s, "answer_value");
          r.gold_solution = ReferenceNumeric(r.gold);
        } else {
          const size_t nl = r.question.rfind('\n');
          if (nl == std::string::npos) {
            throw util::InputError(At(s, "question"),
                                   "expected the options on the question's last line");
          }
          r.choices = ParseOptions(r.question.substr(nl + 1), At(s, "question"));
          r.question = util::Trim(r.question.substr(0, nl));
          r.kind = AnswerKind::kChoice;
          r.gold = GoldLetter(value, At(s, "answer_value"));
        }
      } else {
        const std::string problem = original ? "Problem" : "problem";
        const std::string rationale = original ? "Rationale" : "rationale";
        r.id = std::to_string(s.index);
        r.question = util::Trim(util::RequireString(s.value, problem, s.where));
        const nlohmann::json& opts = util::RequireField(s.value, "options", s.where);
        if (!opts.is_string()) {
          throw util::InputError(At(s, "options"),
                                 "expected a string, got " + util::JsonTypeName(opts));
        }
        r.choices = ParseOptions(opts.get<std::string>(), At(s, "options"));
        r.kind = AnswerKind::kChoice;
        r.gold = GoldLetter(util::RequireString(s.value, "correct", s.where), At(s, "correct"));
        KeepString(s, rationale, r, "rationale");
        KeepString(s, "annotated_formula", r, "annotated_formula");
        KeepString(s, "linear_formula", r, "linear_formula");
        KeepString(s, original ? "category" : "type", r, "category");
        if (Has(s.value, "processed_options"))
          r.extra["processed_options"] = s.value["processed_options"];
      }
      if (r.kind == AnswerKind::kChoice) {
        for (int i = 0; i < 5; ++i) r.choice_order.push_back(i);
        r.gold_solution = ReferenceChoice(r.gold);
      }
      records.push_back(std::move(r));
    }
    return records;
  }

 protected:
  AnswerKind main_kind() const override { return AnswerKind::kChoice; }
  std::string Render(const Record& record, const std::string& template_name,
                     const PromptOptions&) const override {
    if (template_name == "qa-v1") {
      return record.kind == AnswerKind::kNumeric ? NumericQuestionAnswer(record.question)
                                                 : ChoiceQuestionAnswer("", record.question, record.choices);
    }
    if (record.kind == AnswerKind::kNumeric) return NumericZeroShotCot(record.question);
    return ChoiceZeroShotCot("", record.question, record.choices, false);
  }
};

}  // namespace

const Task& MathqaTask() {
  static const Mathqa task;
  return task;
}

}  // namespace tasks::loaders
