// Zero-shot chain-of-thought prompts for multiple-choice records (MathQA, AGIEval, GPQA): passage,
// question, options as "(A) text" lines, and the instruction to end with the marked answer
// "The answer is (X)" that the default extractor reads.
#pragma once

#include <string>
#include <vector>

namespace tasks::loaders {

// `multi`: more than one option may be correct (AGIEval multi-answer); the answer line then lists
// every correct letter, "The answer is (A)(C)".
std::string ChoiceZeroShotCot(const std::string& passage, const std::string& question,
                              const std::vector<std::string>& choices, bool multi);

// "Question: {question}\nOptions:\n(A) ..\nAnswer:" (passage first when there is one): no instruction,
// the shortest layout, for small models fine-tuned on the task's own solutions.
std::string ChoiceQuestionAnswer(const std::string& passage, const std::string& question,
                                 const std::vector<std::string>& choices);

}  // namespace tasks::loaders
