// SVAMP (Patel et al., 2021). Layouts, detected per file from the first record:
//   official  arkilpatel/SVAMP SVAMP.json: a JSON array of {ID, Body, Question, Equation, Answer,
//   Type};
//             id = ID ("chal-1"), Answer is a float (all integral: 51.0 -> gold "51").
//   qwen      Qwen2.5-Math evaluation/data/svamp/test.jsonl: the same fields plus `idx`. The
//   dataset's own
//             ID is kept as the id (not idx), so both layouts give the same ids.
//   reft      mwp_ReFT svamp_test_set.json / svamp_nl.json / svamp_python_sdp.json: {item_id,
//   question,
//             answer_value "14.0"[, answer_cot]}; the question is already assembled; id = item_id.
// Question assembly (official and qwen): Body, plus "." when it does not already end in '.', '?' or
// '!', then " " + Question. This is Qwen2.5-Math's parse_question rule (it only tests for '.'; the
// extra '?' and '!' avoid "?." and never change a SVAMP body, none of which ends in either).
// OpenCompass instead joins Body + " " + Question without adding a period. gold_solution: SVAMP has
// no worked solution, so every record gets "The answer is N.".
#include "harness/util/json_io.h"
#include "harness/util/text.h"
#include "tasks/loaders/families.h"
#include "tasks/loaders/math_prompts.h"
#include "tasks/loaders/reft_layout.h"
#include "tasks/loaders/source.h"
#include "tasks/loaders/task_base.h"

namespace tasks::loaders {

namespace {

std::string AssembleQuestion(const std::string& body, const std::string& question) {
  std::string b = util::Trim(body);
  if (!b.empty() && b.back() != '.' && b.back() != '?' && b.back() != '!') b += ".";
  return b + " " + util::Trim(question);
}

class Svamp : public TaskBase {
 public:
  std::string name() const override { return "svamp"; }
  std::string version() const override { return "2"; }  // 2: exact numeric equivalence
  std::vector<std::string> variants() const override { return {"main"}; }
  std::string description() const override {
    return "arkilpatel/SVAMP SVAMP.json (JSON array; Body + Question, float Answer); Qwen2.5-Math "
           "svamp/test.jsonl; mwp_ReFT svamp_test_set.json / svamp_nl.json / svamp_python_sdp.json";
  }
  std::vector<std::string> templates() const override {
    return {"zeroshot-cot-v1", "fewshot-cot-8-v1", "qa-v1"};
  }

  std::vector<Record> Load(const LoadOptions& options) const override {
    const std::string variant = options.variant.empty() ? "main" : options.variant;
    CheckVariant(variant, variants(), name(), options.path);
    const std::vector<SourceRecord> sources = ReadRecords(options.path);
    const bool reft = IsReftLayout(sources.front().value);
    std::vector<Record> records;
    records.reserve(sources.size());
    for (const SourceRecord& s : sources) {
      Record r;
      r.task = name();
      r.variant = variant;
      r.kind = AnswerKind::kNumeric;
      r.source = SourceString(s);
      if (reft) {
        r.gold = CanonicalNumber(ReadReftRecord(s, r), s, "answer_value");
      } else {
        r.id = util::RequireScalarAsString(s.value, "ID", s.where);
        r.question = AssembleQuestion(util::RequireString(s.value, "Body", s.where),
                                      util::RequireString(s.value, "Question", s.where));
        util::RequireNumber(s.value, "Answer", s.where);
        r.gold =
            CanonicalNumber(util::RequireScalarAsString(s.value, "Answer", s.where), s, "Answer");
        if (auto eq = util::OptionalString(s.value, "Equation", s.where)) r.extra["equation"] = *eq;
        if (auto type = util::OptionalString(s.value, "Type", s.where)) r.extra["type"] = *type;
      }
      r.gold_solution = ReferenceNumeric(r.gold);
      records.push_back(std::move(r));
    }
    return records;
  }

 protected:
  AnswerKind main_kind() const override { return AnswerKind::kNumeric; }
  std::string Render(const Record& record, const std::string& template_name,
                     const PromptOptions&) const override {
    if (template_name == "fewshot-cot-8-v1") return WeiFewShotCot8(record.question);
    if (template_name == "qa-v1") return NumericQuestionAnswer(record.question);
    return NumericZeroShotCot(record.question);
  }
};

}  // namespace

const Task& SvampTask() {
  static const Svamp task;
  return task;
}

}  // namespace tasks::loaders
