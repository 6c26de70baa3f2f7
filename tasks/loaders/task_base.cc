// Delegation to the extraction library plus the helpers shared by every loader.
#include "tasks/loaders/task_base.h"

#include "harness/util/error.h"
#include "harness/util/text.h"
#include "tasks/extract/extract.h"

namespace tasks::loaders {

std::vector<std::string> TaskBase::extraction_presets() const {
  Record representative;
  representative.task = name();
  representative.kind = main_kind();
  if (representative.kind == AnswerKind::kChoice) representative.choices = {"", "", "", ""};
  return extract::PresetsFor(representative);
}

ExtractedAnswer TaskBase::Extract(const std::string& completion, const Record& record,
                                  const std::string& preset) const {
  return extract::Extract(completion, record, preset);
}

bool TaskBase::IsCorrect(const ExtractedAnswer& answer, const Record& record) const {
  return extract::IsEquivalent(answer, record);
}

std::string TaskBase::RenderPrompt(const Record& record, const PromptOptions& options) const {
  return Render(record, ResolveTemplate(options.template_name, templates(), name()), options);
}

std::string ResolveTemplate(const std::string& requested, const std::vector<std::string>& known,
                            const std::string& task) {
  if (requested.empty()) return known.front();
  for (const auto& k : known) {
    if (k == requested) return k;
  }
  throw util::InputError(util::Location{"", 0, "template"}, "unknown template '" + requested + "' for task " + task +
                                                                util::DidYouMean(requested, known, "known templates"));
}

void CheckVariant(const std::string& variant, const std::vector<std::string>& known,
                  const std::string& task, const std::string& path) {
  for (const auto& k : known) {
    if (k == variant) return;
  }
  throw util::InputError(util::Location{path, 0, "variant"}, "unknown " + task + " variant '" + variant + "'" +
                                                                  util::DidYouMean(variant, known, "known variants"));
}

std::string LetterFor(size_t index) { return std::string(1, static_cast<char>('A' + index)); }

std::string ParenthesisedChoices(const std::vector<std::string>& choices) {
  std::string out;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (i) out += "\n";
    out += "(" + LetterFor(i) + ") " + choices[i];
  }
  return out;
}

std::string ReferenceNumeric(const std::string& gold) { return "The answer is " + gold + "."; }

std::string ReferenceChoice(const std::string& letters) {
  std::string out = "The answer is ";
  for (char c : letters) out += std::string("(") + c + ")";
  return out + ".";
}

std::string ReferenceBoxed(const std::string& gold) {
  return "The final answer is \\boxed{" + gold + "}.";
}

}  // namespace tasks::loaders
