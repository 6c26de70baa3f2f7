// The shared multiple-choice prompt text.
#include "tasks/loaders/choice_prompts.h"

#include "tasks/loaders/task_base.h"

namespace tasks::loaders {

std::string ChoiceZeroShotCot(const std::string& passage, const std::string& question,
                              const std::vector<std::string>& choices, bool multi) {
  std::string letters;
  for (size_t i = 0; i < choices.size(); ++i) letters += (i ? ", " : "") + LetterFor(i);
  std::string out =
      "Answer the following multiple choice question. Think step by step, then finish with a line "
      "of the form \"The answer is (X)\" where X is one of " +
      letters + ".";
  if (multi) {
    out +=
        " More than one option may be correct: list every correct letter, for example \"The answer "
        "is "
        "(A)(C)\".";
  }
  out += "\n\n";
  if (!passage.empty()) out += "Passage: " + passage + "\n\n";
  out += "Question: " + question + "\n\nOptions:\n" + ParenthesisedChoices(choices) +
         "\n\nAnswer: Let's think step by step.";
  return out;
}

std::string ChoiceQuestionAnswer(const std::string& passage, const std::string& question,
                                 const std::vector<std::string>& choices) {
  std::string out = passage.empty() ? "" : "Passage: " + passage + "\n";
  return out + "Question: " + question + "\nOptions:\n" + ParenthesisedChoices(choices) + "\nAnswer:";
}

}  // namespace tasks::loaders
