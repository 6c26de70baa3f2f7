// GSM8K (Cobbe et al., 2021). Layouts, detected per file from the first record:
//   official  openai/grade-school-math test.jsonl / train.jsonl / test_socratic.jsonl: {question,
//   answer}
//             where answer is the worked solution ending "#### N"; id = 0-based line index.
//   qwen      Qwen2.5-Math evaluation/data/gsm8k/test.jsonl: the official record plus `idx` (id =
//   idx). reft      mwp_ReFT gsm8k_test_set.json, a JSON array of {item_id, question,
//   answer_value}; id = item_id.
// Gold = the number after the last "####", commas removed and canonicalised by NormalizeNumber
// ("1,450,000" -> "1450000"). gold_solution = the official worked solution (its "#### N" is a
// marked final answer); ReFT records carry none, so they get the reference completion "The answer
// is N.".
#include "harness/util/json_io.h"
#include "harness/util/text.h"
#include "tasks/loaders/families.h"
#include "tasks/loaders/math_prompts.h"
#include "tasks/loaders/reft_layout.h"
#include "tasks/loaders/source.h"
#include "tasks/loaders/task_base.h"

namespace tasks::loaders {

namespace {

class Gsm8k : public TaskBase {
 public:
  std::string name() const override { return "gsm8k"; }
  std::string version() const override { return "2"; }  // 2: exact numeric equivalence
  std::vector<std::string> variants() const override { return {"main", "socratic"}; }
  std::string description() const override {
    return "openai/grade-school-math test/train/test_socratic jsonl ({question, answer '... #### "
           "N'}); "
           "Qwen2.5-Math gsm8k/test.jsonl (+idx); mwp_ReFT gsm8k_test_set.json ({item_id, "
           "question, "
           "answer_value})";
  }
  std::vector<std::string> templates() const override {
    return {"zeroshot-cot-v1", "fewshot-cot-8-v1", "qa-v1"};
  }

  std::vector<Record> Load(const LoadOptions& options) const override {
    std::string variant = options.variant;
    if (variant.empty()) {
      variant = util::ToLower(FileStem(options.path)).find("socratic") != std::string::npos
                    ? "socratic"
                    : "main";
    }
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
        r.gold_solution = ReferenceNumeric(r.gold);
      } else {
        r.id = Has(s.value, "idx") ? util::RequireScalarAsString(s.value, "idx", s.where)
                                   : std::to_string(s.index);
        r.question = util::RequireString(s.value, "question", s.where);
        r.gold_solution = util::RequireString(s.value, "answer", s.where);
        const size_t marker = r.gold_solution.rfind("####");
        if (marker == std::string::npos) {
          throw util::InputError(At(s, "answer"), "no '#### N' final answer in the solution");
        }
        r.gold = CanonicalNumber(util::Trim(r.gold_solution.substr(marker + 4)), s, "answer");
      }
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

const Task& Gsm8kTask() {
  static const Gsm8k task;
  return task;
}

}  // namespace tasks::loaders
