// Prompt texts shared by the numeric word-problem tasks (GSM8K, SVAMP, MathQA-numeric).
#pragma once

#include <string>

namespace tasks::loaders {

// Zero-shot chain of thought ending in "The answer is N." (the default extractor's marked answer).
std::string NumericZeroShotCot(const std::string& question);

// "Question: {question}\nAnswer:", lm-eval-harness's zero-shot gsm8k layout (doc_to_text). No
// instruction: the shortest prompt, for small models fine-tuned on the task's own solutions, where a
// long constant instruction would only cost training tokens.
std::string NumericQuestionAnswer(const std::string& question);

// The 8 chain-of-thought exemplars of Wei et al. (2022), "Chain-of-Thought Prompting Elicits
// Reasoning in Large Language Models", Table 20 (used there for GSM8K, SVAMP, ASDiv and MAWPS), in
// the "Q: ...\nA: ... The answer is N.\n\n" layout, followed by "Q: {question}\nA:".
std::string WeiFewShotCot8(const std::string& question);

}  // namespace tasks::loaders
