// AGIEval v1 (Zhong et al., 2023; ruixiangcui/AGIEval data/v1/*.jsonl): one file per subset, the
// file stem is the variant. Rows are {passage, question, options ["(A)..", ..] | null, label,
// answer, other}.
//   - multiple choice (aqua-rat, logiqa-en, lsat-*, sat-*, gaokao-* but mathcloze, logiqa-zh): the
//   "(A)"
//     prefix (or an "A." / "A．" / "A " one, as a few Chinese rows have) is stripped into
//     `choices`; a label "B" gives kChoice, a list label (jec-qa-*, 35 gaokao-physics rows) or a
//     joined string
//     ("AD", "A B D": 2 gaokao-mathqa rows) gives kChoiceSet with the sorted letters "AD" as gold.
//   - cloze (math, gaokao-mathcloze): kCloze, gold = `answer` verbatim.
//   - sat-* rows have no `answer` key; passage null -> "".
//   - data quirks: punctuation-only label elements are dropped (jec-qa-ca lists ["A", "C", "D",
//   "。"]);
//     an empty list label (one jec-qa-kd row) gives gold "" and Record::broken = true.
// id = 0-based line index. `other` is kept in extra["other"].
// gold_solution: the reference "The answer is (B)." / "The answer is (A)(D)." / "The final answer
// is \boxed{..}." (MATH's own solutions box an answer that is not always written like `answer`).
#include <algorithm>
#include <set>

#include "harness/util/json_io.h"
#include "harness/util/text.h"
#include "tasks/loaders/agieval_fewshot.h"
#include "tasks/loaders/choice_prompts.h"
#include "tasks/loaders/families.h"
#include "tasks/loaders/source.h"
#include "tasks/loaders/task_base.h"

namespace tasks::loaders {

namespace {

const std::vector<std::string>& Subsets() {
  static const std::vector<std::string> kSubsets = {
      // English (AGIEval's English multiple choice, then its cloze subset)
      "aqua-rat", "logiqa-en", "lsat-ar", "lsat-lr", "lsat-rc", "sat-math", "sat-en",
      "sat-en-without-passage", "gaokao-english", "math",
      // Chinese
      "logiqa-zh", "jec-qa-kd", "jec-qa-ca", "gaokao-chinese", "gaokao-geography", "gaokao-history",
      "gaokao-biology", "gaokao-chemistry", "gaokao-physics", "gaokao-mathqa", "gaokao-mathcloze"};
  return kSubsets;
}

bool IsClozeSubset(const std::string& subset) {
  return subset == "math" || subset == "gaokao-mathcloze";
}

// Leading ASCII spaces and U+3000 ideographic spaces.
std::string TrimWide(std::string s) {
  s = util::Trim(s);
  while (util::StartsWith(s, "\xE3\x80\x80")) s = util::Trim(s.substr(3));
  while (util::EndsWith(s, "\xE3\x80\x80")) s = util::Trim(s.substr(0, s.size() - 3));
  return s;
}

std::string StripOptionPrefix(const std::string& option, size_t index) {
  std::string s = TrimWide(option);
  // "(X)" with any letter: a handful of gaokao-history rows repeat a letter; our letters replace
  // theirs.
  if (s.size() >= 3 && s[0] == '(' && s[1] >= 'A' && s[1] <= 'G' && s[2] == ')')
    return TrimWide(s.substr(3));
  const char letter = static_cast<char>('A' + index);
  if (s.size() >= 2 && s[0] == letter) {
    for (const char* sep : {".", "\xEF\xBC\x8E", "\xE3\x80\x81", " ", ")"}) {  // . ． 、 space )
      if (s.compare(1, std::string(sep).size(), sep) == 0)
        return TrimWide(s.substr(1 + std::string(sep).size()));
    }
  }
  return s;
}

// Whether a label element holds nothing but punctuation (one jec-qa-ca row lists "。" among its
// letters).
bool IsPunctuationOnly(const std::string& text) {
  std::string rest = util::Trim(text);
  for (const char* p : {"\xE3\x80\x82", "\xEF\xBC\x8C", "\xE3\x80\x81", ".", ",", ";"})
    rest = util::ReplaceAll(rest, p, "");
  return util::Trim(rest).empty();
}

// Sorted unique letters from a label ("" for an empty list label), or InputError.
std::string LabelLetters(const nlohmann::json& label, size_t option_count,
                         const util::Location& where) {
  std::string letters;
  auto add = [&](const std::string& text) {
    for (char c : text) {
      if (c == ' ' || c == ',') continue;
      if (c < 'A' || c >= static_cast<char>('A' + option_count)) {
        throw util::InputError(where, "label '" + text + "' is not among the " +
                                          std::to_string(option_count) + " options");
      }
      letters += c;
    }
  };
  if (label.is_string()) {
    add(label.get<std::string>());
  } else if (label.is_array()) {
    for (const auto& item : label) {
      if (!item.is_string())
        throw util::InputError(where, "expected option letters, got " + label.dump());
      if (!item.get<std::string>().empty() && IsPunctuationOnly(item.get<std::string>())) continue;
      add(item.get<std::string>());
    }
    if (label.empty()) return "";
  } else {
    throw util::InputError(where, "expected a letter, a list of letters or a joined string, got " +
                                      util::JsonTypeName(label));
  }
  std::sort(letters.begin(), letters.end());
  letters.erase(std::unique(letters.begin(), letters.end()), letters.end());
  if (letters.empty()) throw util::InputError(where, "empty label");
  return letters;
}

class Agieval : public TaskBase {
 public:
  std::string name() const override { return "agieval"; }
  std::string version() const override { return "2"; }  // 2: exact numeric equivalence
  std::vector<std::string> variants() const override { return Subsets(); }
  std::string description() const override {
    return "AGIEval v1 data/v1/<subset>.jsonl ({passage, question, options '(A)..', label "
           "str|list|joined, answer, "
           "other}); subset = file stem; few-shot from few_shot_prompts.csv";
  }
  std::vector<std::string> templates() const override { return {"zeroshot-cot-v1", "fewshot-v1", "qa-v1"}; }

  std::vector<Record> Load(const LoadOptions& options) const override {
    const std::string variant = options.variant.empty() ? FileStem(options.path) : options.variant;
    CheckVariant(variant, variants(), name(), options.path);
    const bool cloze = IsClozeSubset(variant);
    std::vector<Record> records;
    for (const SourceRecord& s : ReadRecords(options.path)) {
      Record r;
      r.task = name();
      r.variant = variant;
      r.id = std::to_string(s.index);
      r.source = SourceString(s);
      r.question = util::Trim(util::RequireString(s.value, "question", s.where));
      if (auto passage = util::OptionalString(s.value, "passage", s.where))
        r.passage = util::Trim(*passage);
      if (Has(s.value, "other")) r.extra["other"] = s.value["other"];
      if (cloze) {
        r.kind = AnswerKind::kCloze;
        const nlohmann::json& answer = util::RequireField(s.value, "answer", s.where);
        if (answer.is_null())
          throw util::InputError(At(s, "answer"), "cloze subsets need an answer");
        r.gold = util::Trim(util::RequireScalarAsString(s.value, "answer", s.where));
        r.gold_solution = ReferenceBoxed(r.gold);
      } else {
        const nlohmann::json& opts = util::RequireField(s.value, "options", s.where);
        if (!opts.is_array() || opts.empty()) {
          throw util::InputError(At(s, "options"),
                                 "expected a list of options, got " + util::JsonTypeName(opts));
        }
        for (size_t i = 0; i < opts.size(); ++i) {
          if (!opts[i].is_string()) {
            throw util::InputError(At(s, "options"),
                                   "option " + std::to_string(i) + " is not a string");
          }
          r.choices.push_back(StripOptionPrefix(opts[i].get<std::string>(), i));
          r.choice_order.push_back(static_cast<int>(i));
        }
        const nlohmann::json& label = util::RequireField(s.value, "label", s.where);
        r.gold = LabelLetters(label, r.choices.size(), At(s, "label"));
        // A list label marks a multi-answer question even when it holds one letter (jec-qa).
        r.kind =
            label.is_array() || r.gold.size() > 1 ? AnswerKind::kChoiceSet : AnswerKind::kChoice;
        // An empty list label (one jec-qa-kd row) means the dataset gives no answer: the record
        // loads, marked broken, so that scoring can leave it out and say so.
        r.broken = r.gold.empty();
        r.gold_solution = r.broken ? "" : ReferenceChoice(r.gold);
      }
      records.push_back(std::move(r));
    }
    return records;
  }

 protected:
  AnswerKind main_kind() const override { return AnswerKind::kChoice; }
  std::string Render(const Record& record, const std::string& template_name,
                     const PromptOptions& options) const override {
    if (template_name == "fewshot-v1") {
      if (options.few_shot_file.empty()) {
        throw util::InputError(
            util::Location{"", 0, "few_shot_file"},
            "template fewshot-v1 needs AGIEval's few_shot_prompts.csv (--few-shot-file)");
      }
      return AgievalFewShotPrompt(record, options.few_shot_file);
    }
    if (template_name == "qa-v1") {
      if (record.kind == AnswerKind::kCloze) return "Question: " + record.question + "\nAnswer:";
      return ChoiceQuestionAnswer(record.passage, record.question, record.choices);
    }
    if (record.kind == AnswerKind::kCloze) {
      return record.question +
             "\nPlease reason step by step, and put your final answer within \\boxed{}.";
    }
    return ChoiceZeroShotCot(record.passage, record.question, record.choices,
                             record.kind == AnswerKind::kChoiceSet);
  }
};

}  // namespace

const Task& AgievalTask() {
  static const Agieval task;
  return task;
}

}  // namespace tasks::loaders
