// The part every task family shares: extraction and equivalence delegate to tasks/extract (so that
// reward, metric and score never disagree), template names resolve with "did you mean", and small
// helpers for option letters, variants and canonical reference completions.
#pragma once

#include <string>
#include <vector>

#include "tasks/task.h"

namespace tasks::loaders {

class TaskBase : public Task {
 public:
  // Presets of a representative record of this task's main answer kind (default first).
  std::vector<std::string> extraction_presets() const override;
  ExtractedAnswer Extract(const std::string& completion, const Record& record,
                          const std::string& preset) const override;
  bool IsCorrect(const ExtractedAnswer& answer, const Record& record) const override;
  // Resolves the template name ("" = default, unknown = InputError with did-you-mean), then
  // Render().
  std::string RenderPrompt(const Record& record, const PromptOptions& options) const override;

 protected:
  virtual AnswerKind main_kind() const = 0;
  virtual std::string Render(const Record& record, const std::string& template_name,
                             const PromptOptions& options) const = 0;
};

// The name itself when known, the first template for "", else util::InputError (field "template").
std::string ResolveTemplate(const std::string& requested, const std::vector<std::string>& known,
                            const std::string& task);

// Checks an explicitly requested variant against the task's list (InputError with did-you-mean).
void CheckVariant(const std::string& variant, const std::vector<std::string>& known,
                  const std::string& task, const std::string& path);

// "A".."Z" for 0..25.
std::string LetterFor(size_t index);
// "(A) first\n(B) second\n..." (no trailing newline).
std::string ParenthesisedChoices(const std::vector<std::string>& choices);

// Reference completions that the default extraction must read back as the gold (the "gold solution"
// for records whose dataset carries no worked solution with a marked final answer).
std::string ReferenceNumeric(const std::string& gold);  // "The answer is 18."
std::string ReferenceChoice(
    const std::string& letters);  // "The answer is (B)." / "The answer is (A)(D)."
std::string ReferenceBoxed(const std::string& gold);  // "The final answer is \\boxed{25}."

}  // namespace tasks::loaders
