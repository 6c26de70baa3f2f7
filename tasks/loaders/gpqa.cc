// GPQA (Rein et al., 2023): the dataset.zip CSVs gpqa_diamond.csv / gpqa_main.csv /
// gpqa_extended.csv, RFC 4180 with multi-line quoted cells. Columns are read by name, never by
// position: Question, Correct Answer, Incorrect Answer 1..3 (required), Record ID (the id; the
// 0-based row index when the column is absent), Subdomain and High-level domain (kept in extra).
// The variant comes from the file name (gpqa_diamond -> diamond). The correct answer always sits in
// its own column, so options are shuffled: the permutation is util::SeededPermutation(4,
// LoadOptions.shuffle_seed, question with whitespace collapsed), so a record gets the same letters
// in every load, in every mirror (main/extended mirrors normalised whitespace), and different ones
// under another seed. choice_order[i] = the original option shown at position i (0 = the correct
// answer, 1..3 = Incorrect Answer 1..3); gold = the letter where 0 landed. Question and option
// texts are trimmed. gold_solution: the reference "The answer is (C).". GPQA asks that its
// questions never appear in plain text online: nothing here or in the tests contains one.
#include "harness/util/hashing.h"
#include "harness/util/text.h"
#include "tasks/loaders/choice_prompts.h"
#include "tasks/loaders/csv.h"
#include "tasks/loaders/families.h"
#include "tasks/loaders/source.h"
#include "tasks/loaders/task_base.h"

namespace tasks::loaders {

namespace {

class Gpqa : public TaskBase {
 public:
  std::string name() const override { return "gpqa"; }
  std::string version() const override { return "1"; }
  std::vector<std::string> variants() const override { return {"diamond", "main", "extended"}; }
  std::string description() const override {
    return "GPQA dataset.zip CSVs gpqa_{diamond,main,extended}.csv, columns by name (Question, "
           "Correct Answer, "
           "Incorrect Answer 1-3, Record ID, Subdomain, High-level domain); options shuffled with "
           "a seeded, "
           "content-hashed permutation";
  }
  std::vector<std::string> templates() const override {
    return {"zeroshot-cot-v1", "simple-evals-v1", "lm-eval-cot-v1", "qa-v1"};
  }

  std::vector<Record> Load(const LoadOptions& options) const override {
    std::string variant = options.variant;
    if (variant.empty()) {
      const std::string stem = util::ToLower(FileStem(options.path));
      for (const auto& v : variants()) {
        if (stem.find(v) != std::string::npos) variant = v;
      }
      if (variant.empty()) {
        throw util::InputError(
            util::Location{options.path, 0, "variant"},
            "cannot infer the GPQA variant from the file name; set it (diamond, main, extended)");
      }
    }
    CheckVariant(variant, variants(), name(), options.path);

    const CsvTable table = CsvTable::Read(options.path);
    if (table.rows().empty())
      throw util::InputError(util::Location{options.path, 0, ""}, "file holds no records");
    const char* kAnswerColumns[] = {"Correct Answer", "Incorrect Answer 1", "Incorrect Answer 2",
                                    "Incorrect Answer 3"};
    const size_t question_col = table.Column("Question");
    std::vector<size_t> answer_cols;
    for (const char* c : kAnswerColumns) answer_cols.push_back(table.Column(c));
    const long id_col = table.FindColumn("Record ID");
    const long subdomain_col = table.FindColumn("Subdomain");
    const long domain_col = table.FindColumn("High-level domain");

    std::vector<Record> records;
    for (size_t row_index = 0; row_index < table.rows().size(); ++row_index) {
      const CsvRow& row = table.rows()[row_index];
      auto cell = [&](size_t col, const char* field) {
        std::string text = util::Trim(row.cells[col]);
        if (text.empty())
          throw util::InputError(util::Location{options.path, row.line, field}, "empty cell");
        return text;
      };
      Record r;
      r.task = name();
      r.variant = variant;
      r.kind = AnswerKind::kChoice;
      r.source = options.path + ":" + std::to_string(row.line);
      r.question = cell(question_col, "Question");
      r.id =
          id_col >= 0 ? cell(static_cast<size_t>(id_col), "Record ID") : std::to_string(row_index);
      std::vector<std::string> original;
      for (size_t k = 0; k < 4; ++k) original.push_back(cell(answer_cols[k], kAnswerColumns[k]));
      r.choice_order =
          util::SeededPermutation(4, options.shuffle_seed, util::CollapseWhitespace(r.question));
      for (size_t i = 0; i < 4; ++i) {
        r.choices.push_back(original[r.choice_order[i]]);
        if (r.choice_order[i] == 0) r.gold = LetterFor(i);
      }
      if (subdomain_col >= 0) r.extra["subdomain"] = util::Trim(row.cells[subdomain_col]);
      if (domain_col >= 0) r.extra["high_level_domain"] = util::Trim(row.cells[domain_col]);
      r.gold_solution = ReferenceChoice(r.gold);
      records.push_back(std::move(r));
    }
    return records;
  }

 protected:
  AnswerKind main_kind() const override { return AnswerKind::kChoice; }
  std::string Render(const Record& record, const std::string& template_name,
                     const PromptOptions&) const override {
    if (template_name == "simple-evals-v1") {
      // openai/simple-evals common.py QUERY_TEMPLATE_MULTICHOICE (eval_anchors.md 2.4).
      std::string out =
          "Answer the following multiple choice question. The last line of your response should be "
          "of the "
          "following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think "
          "step by step "
          "before answering.\n\n" +
          record.question + "\n";
      for (size_t i = 0; i < record.choices.size(); ++i)
        out += "\n" + LetterFor(i) + ") " + record.choices[i];
      return out;
    }
    if (template_name == "lm-eval-cot-v1") {
      // lm-eval gpqa cot_zeroshot doc_to_text (eval_anchors.md 2.4).
      return "What is the correct answer to this question:" + record.question + "\nChoices:\n" +
             ParenthesisedChoices(record.choices) + "\nLet's think step by step: ";
    }
    if (template_name == "qa-v1") return ChoiceQuestionAnswer("", record.question, record.choices);
    return ChoiceZeroShotCot("", record.question, record.choices, false);
  }
};

}  // namespace

const Task& GpqaTask() {
  static const Gpqa task;
  return task;
}

}  // namespace tasks::loaders
