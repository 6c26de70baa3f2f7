// Equivalence tests: each answer kind's comparison, and each anchor preset compared its anchor's way.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tasks/extract/extract.h"
#include "tests/extract/test_records.h"

namespace {

using extract_test::MakeRecord;
using extract_test::T;

struct Case {
  T task;
  const char* gold;
  const char* value;
  const char* rule;  // rules decide the comparison for anchor presets
  bool expected;
};

TEST(EquivalenceTest, CaseTable) {
  const std::vector<Case> cases = {
      // Numbers: relative tolerance 1e-6.
      {T::kGsm8k, "18", "18", "answer_is", true},
      {T::kGsm8k, "18", "18.0", "answer_is", true},
      {T::kGsm8k, "1000000", "1000000.5", "answer_is", true},
      {T::kGsm8k, "18", "18.001", "answer_is", false},
      {T::kGsm8k, "18", "-18", "answer_is", false},
      {T::kGsm8k, "0.75", "3/4", "answer_is", true},
      {T::kGsm8k, "1234", "1,234", "answer_is", true},
      {T::kGsm8k, "0", "0", "last_number", true},
      {T::kGsm8k, "18", "abc", "answer_is", false},
      // Option letters.
      {T::kMathQa, "B", "B", "answer_is", true},
      {T::kMathQa, "B", "b", "answer_is", true},
      {T::kMathQa, "B", "C", "answer_is", false},
      {T::kGpqa, "D", "D", "answer_colon", true},
      // Letter sets.
      {T::kJecQa, "AD", "DA", "answer_is", true},
      {T::kJecQa, "AD", "A", "answer_is", false},
      {T::kJecQa, "AD", "A, D", "answer_is", true},
      // AIME integers.
      {T::kAime, "25", "025", "boxed", true},
      {T::kAime, "25", "250", "boxed", false},
      {T::kAime, "7", "7.0", "boxed", true},
      // Cloze LaTeX.
      {T::kAgiMath, "\\frac12", "\\dfrac{1}{2}", "boxed", true},
      {T::kAgiMath, "\\frac{1}{2}", "0.5", "boxed", true},
      {T::kAgiMath, "5", "x=5", "boxed", true},
      {T::kAgiMath, "(1, 2)", "(1,2)", "boxed", true},
      {T::kAgiMath, "\\sqrt2", "\\sqrt{2}", "boxed", true},
      {T::kAgiMath, "3", "4", "boxed", false},
      {T::kAgiMath, "10", "10\\text{ cm}", "boxed", true},
      {T::kAgiMath, "\\frac{2}{4}", "\\frac{1}{2}", "boxed", true},
      {T::kAgiMath, "2\\sqrt{3}", "2\\sqrt3", "boxed", true},
      // lm-eval gsm8k: exact match after dropping ",", "$", a final "." (18.00 is not 18 there).
      {T::kGsm8k, "18", "$18.", "lmeval_flexible_extract", true},
      {T::kGsm8k, "18", "18.00", "lmeval_flexible_extract", false},
      {T::kGsm8k, "1234", "1,234", "lmeval_strict_match", true},
      {T::kGsm8k, "18", "1", "lmeval_cot_strict", false},
      // lm-eval GPQA: against "(X)", ignoring case and punctuation, so "(B" still counts.
      {T::kGpqa, "B", "(B", "lmeval_strict_match", true},
      {T::kGpqa, "B", "(b)", "lmeval_multi_choice_regex", true},
      {T::kGpqa, "B", "(C) because it is stabl", "lmeval_strict_match", false},
      // simple-evals: the captured letter as is.
      {T::kGpqa, "B", "B", "simple_evals_answer", true},
      {T::kGpqa, "B", "b", "simple_evals_answer", false},
      // Qwen math_equal subset: rel_tol 1e-4, and gold/100 or gold*100 also match.
      {T::kGsm8k, "18", "18", "qwen_boxed", true},
      {T::kGsm8k, "18", "0.18", "qwen_boxed", true},
      {T::kGsm8k, "18", "18.0001", "qwen_boxed", true},
      {T::kGsm8k, "18", "19", "qwen_boxed", false},
      {T::kGsm8k, "0.5", "\\frac{1}{2}", "qwen_boxed", true},
      {T::kAime, "25", "025", "qwen_boxed", true},
      {T::kMathQa, "C", "C", "qwen_choice_clean", true},
      {T::kMathQa, "C", "D", "qwen_choice_clean", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.gold) + " vs " + c.value + " (" + c.rule + ")");
    tasks::ExtractedAnswer answer;
    answer.valid = true;
    answer.value = c.value;
    answer.rule = c.rule;
    EXPECT_EQ(tasks::extract::IsEquivalent(answer, MakeRecord(c.task, c.gold)), c.expected);
  }
}

TEST(EquivalenceTest, InvalidAnswersNeverMatch) {
  tasks::ExtractedAnswer answer;
  answer.valid = false;
  answer.value = "18";
  answer.rule = "none";
  EXPECT_FALSE(tasks::extract::IsEquivalent(answer, MakeRecord(T::kGsm8k, "18")));
}

TEST(EquivalenceTest, CodeIsGradedElsewhere) {
  auto answer = tasks::extract::ExtractCode("```\nprint(1)\n```", "last");
  EXPECT_FALSE(tasks::extract::IsEquivalent(answer, MakeRecord(T::kLcb, "print(1)")));
}

// End to end: the default preset gets right what the anchors get wrong.
TEST(EquivalenceTest, DefaultPresetScoresAnchorPitfallsCorrectly) {
  struct E2e {
    T task;
    const char* gold;
    const char* completion;
    const char* preset;
    bool correct;
  };
  const std::vector<E2e> cases = {
      {T::kGsm8k, "18", "The answer is 18", "default", true},
      {T::kGsm8k, "18", "The answer is 18", "lm-eval-cot", false},
      {T::kGsm8k, "18", "**Answer: \\$18**", "default", true},
      {T::kGsm8k, "18", "**Answer: \\$18**", "lm-eval-strict", false},
      {T::kGsm8k, "18", "The answer is 6.\n\nQ: ...\nThe answer is 18.", "default", true},
      {T::kGsm8k, "18", "The answer is 6.\n\nQ: ...\nThe answer is 18.", "lm-eval-cot", false},
      {T::kGpqa, "B", "**Answer:** B", "default", true},
      {T::kGpqa, "B", "**Answer:** B", "simple-evals", false},
      {T::kGpqa, "B", "Answer: (B)", "default", true},
      {T::kGpqa, "B", "Answer: (B)", "simple-evals", false},
      {T::kGpqa, "B", "The answer is (B)", "lm-eval-strict", true},
      {T::kGpqa, "B", "The answer is B", "lm-eval-strict", false},
      {T::kGpqa, "B", "The answer is B", "default", true},
      {T::kAime, "42", "\\[ \\boxed{42} \\]", "default", true},
      {T::kAime, "25", "\\boxed{025}", "default", true},
      {T::kAgiMath, "\\frac{1}{2}", "\\boxed{\\frac{1}{2}}", "default", true},
      {T::kJecQa, "AD", "The answer is D, A", "default", true},
      {T::kMathQa, "C", "so the answer is c ) 30", "default", true},
  };
  for (const E2e& c : cases) {
    SCOPED_TRACE(std::string(c.completion) + " [" + c.preset + "]");
    auto record = MakeRecord(c.task, c.gold);
    auto answer = tasks::extract::Extract(c.completion, record, c.preset);
    EXPECT_EQ(tasks::extract::IsEquivalent(answer, record), c.correct);
  }
}

}  // namespace
