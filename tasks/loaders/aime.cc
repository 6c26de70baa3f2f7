// AIME 2024 / 2025 (30 problems a year, integer answers 000-999). Layouts, detected per file:
//   qwq    QwenLM/QwQ eval data aime24.jsonl / aime25.jsonl: {prompt, answer:int}; the prompt is
//   the
//          problem followed by the fixed instruction "\nPlease reason step by step, and put your
//          final answer within \boxed{}." which is detected and removed, so `question` is the
//          problem alone (a prompt without it is kept whole). id = 0-based line index.
//   qwen   Qwen2.5-Math evaluation/data/aime24/test.jsonl: {id, problem, solution, answer "025",
//   url,
//          question}; id = id. Key case is ignored for problem/answer/id, as lm-eval does, so the
//          {ID, Problem, Solution, Answer} mirror loads the same way.
// Gold: the canonical integer string ("025" and 25 both give "25"); anything but an integer 0..999
// is an InputError. The variant (2024 / 2025) comes from the file path (aime24, aime_2024, 2025,
// ...). gold_solution: the datasets' own solutions do not mark one final answer consistently
// (Qwen's uses \framebox), so every record gets the reference "The final answer is \boxed{N}.".
#include "harness/util/json_io.h"
#include "harness/util/text.h"
#include "tasks/loaders/families.h"
#include "tasks/loaders/source.h"
#include "tasks/loaders/task_base.h"

namespace tasks::loaders {

namespace {

constexpr const char* kBoxedInstruction =
    "Please reason step by step, and put your final answer within \\boxed{}.";

// The key of `object` equal to `name` ignoring case, or "" when none.
std::string FindKeyIgnoreCase(const nlohmann::json& object, const std::string& name) {
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (util::ToLower(it.key()) == name) return it.key();
  }
  return "";
}

std::string InferYear(const std::string& path) {
  // The file name first, then the whole path (qwen2.5-math_aime24/test.jsonl). A bare "24"/"25"
  // only counts right after "aime", so "qwen2.5" never reads as a year.
  for (const std::string& text : {util::ToLower(FileStem(path)), util::ToLower(path)}) {
    for (const char* year : {"2024", "2025"}) {
      const std::string y(year);
      const std::string two = y.substr(2);
      if (text.find(y) != std::string::npos || text.find("aime" + two) != std::string::npos ||
          text.find("aime_" + two) != std::string::npos ||
          text.find("aime-" + two) != std::string::npos) {
        return y;
      }
    }
  }
  return "";
}

std::string CanonicalAimeAnswer(const nlohmann::json& value, const util::Location& where) {
  std::string text;
  if (value.is_number_integer() || value.is_number_unsigned()) {
    text = value.dump();
  } else if (value.is_string()) {
    text = util::Trim(value.get<std::string>());
  } else {
    throw util::InputError(
        where, "expected an integer or a string of digits, got " + util::JsonTypeName(value));
  }
  bool digits = !text.empty() && text.size() <= 4;
  for (char c : text) digits = digits && c >= '0' && c <= '9';
  if (!digits || std::stoi(text) > 999) {
    throw util::InputError(where, "AIME answers are integers 0..999, got '" + text + "'");
  }
  return std::to_string(std::stoi(text));
}

std::string StripInstruction(const std::string& prompt) {
  std::string p = util::Trim(prompt);
  if (util::EndsWith(p, kBoxedInstruction))
    return util::Trim(p.substr(0, p.size() - std::string(kBoxedInstruction).size()));
  return p;
}

class Aime : public TaskBase {
 public:
  std::string name() const override { return "aime"; }
  std::string version() const override { return "1"; }
  std::vector<std::string> variants() const override { return {"2024", "2025"}; }
  std::string description() const override {
    return "QwQ aime24.jsonl / aime25.jsonl ({prompt, answer:int}, boxed instruction removed); "
           "Qwen2.5-Math "
           "aime24/test.jsonl ({id, problem, solution, answer '025', url}); year from the file "
           "name";
  }
  std::vector<std::string> templates() const override { return {"zeroshot-cot-v1"}; }

  std::vector<Record> Load(const LoadOptions& options) const override {
    std::string variant = options.variant.empty() ? InferYear(options.path) : options.variant;
    if (variant.empty()) {
      throw util::InputError(
          util::Location{options.path, 0, "variant"},
          "cannot infer the AIME year from the file name; set the variant (2024 or 2025)");
    }
    CheckVariant(variant, variants(), name(), options.path);
    const std::vector<SourceRecord> sources = ReadRecords(options.path);
    const bool qwq = sources.front().value.contains("prompt");
    std::vector<Record> records;
    for (const SourceRecord& s : sources) {
      Record r;
      r.task = name();
      r.variant = variant;
      r.kind = AnswerKind::kInteger;
      r.source = SourceString(s);
      if (qwq) {
        r.id = std::to_string(s.index);
        r.question = StripInstruction(util::RequireString(s.value, "prompt", s.where));
        r.gold =
            CanonicalAimeAnswer(util::RequireField(s.value, "answer", s.where), At(s, "answer"));
      } else {
        const std::string id_key = FindKeyIgnoreCase(s.value, "id");
        r.id = id_key.empty() ? std::to_string(s.index)
                              : util::RequireScalarAsString(s.value, id_key, s.where);
        std::string problem_key = FindKeyIgnoreCase(s.value, "problem");
        if (problem_key.empty()) problem_key = "problem";
        r.question = util::Trim(util::RequireString(s.value, problem_key, s.where));
        std::string answer_key = FindKeyIgnoreCase(s.value, "answer");
        if (answer_key.empty()) answer_key = "answer";
        r.gold = CanonicalAimeAnswer(util::RequireField(s.value, answer_key, s.where),
                                     At(s, answer_key));
        const std::string solution_key = FindKeyIgnoreCase(s.value, "solution");
        if (!solution_key.empty()) {
          if (auto sol = util::OptionalString(s.value, solution_key, s.where))
            r.extra["solution"] = *sol;
        }
        if (auto url = util::OptionalString(s.value, "url", s.where)) r.extra["url"] = *url;
      }
      r.gold_solution = ReferenceBoxed(r.gold);
      records.push_back(std::move(r));
    }
    return records;
  }

 protected:
  AnswerKind main_kind() const override { return AnswerKind::kInteger; }
  std::string Render(const Record& record, const std::string&,
                     const PromptOptions&) const override {
    // QwQ / Qwen2.5-Math's instruction, which AIME anchors also use (eval_anchors.md 2.5).
    return record.question + "\n" + kBoxedInstruction;
  }
};

}  // namespace

const Task& AimeTask() {
  static const Aime task;
  return task;
}

}  // namespace tasks::loaders
