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
  const char* equivalence;  // the comparison the answer's preset names ("" = the kind's exact one)
  bool expected;
};

TEST(EquivalenceTest, CaseTable) {
  const std::vector<Case> cases = {
      // Numbers: exact value after normalisation; a near miss on a large integer is wrong.
      {T::kGsm8k, "18", "18", "exact", true},
      {T::kGsm8k, "18", "18.0", "exact", true},
      {T::kGsm8k, "1450000", "1450001", "exact", false},
      {T::kGsm8k, "1450000", "1,450,000", "exact", true},
      {T::kGsm8k, "1000000", "1000000.5", "exact", false},
      {T::kGsm8k, "1450000", "1450001", "", false},
      {T::kGsm8k, "2.5", "2.50", "", true},
      {T::kGsm8k, "0.1", "1/10", "exact", true},
      {T::kGsm8k, "18", "18.001", "exact", false},
      {T::kGsm8k, "18", "-18", "exact", false},
      {T::kGsm8k, "0.75", "3/4", "exact", true},
      {T::kGsm8k, "1234", "1,234", "exact", true},
      {T::kGsm8k, "0", "0", "exact", true},
      {T::kGsm8k, "18", "abc", "exact", false},
      // Option letters.
      {T::kMathQa, "B", "B", "exact", true},
      {T::kMathQa, "B", "b", "exact", true},
      {T::kMathQa, "B", "C", "exact", false},
      {T::kGpqa, "D", "D", "exact", true},
      // Letter sets.
      {T::kJecQa, "AD", "DA", "exact", true},
      {T::kJecQa, "AD", "A", "exact", false},
      {T::kJecQa, "AD", "A, D", "exact", true},
      // AIME integers.
      {T::kAime, "25", "025", "exact", true},
      {T::kAime, "25", "250", "exact", false},
      {T::kAime, "7", "7.0", "exact", true},
      // Cloze LaTeX.
      {T::kAgiMath, "\\frac12", "\\dfrac{1}{2}", "exact", true},
      {T::kAgiMath, "\\frac{1}{2}", "0.5", "exact", true},
      {T::kAgiMath, "5", "x=5", "exact", true},
      {T::kAgiMath, "(1, 2)", "(1,2)", "exact", true},
      {T::kAgiMath, "\\sqrt2", "\\sqrt{2}", "exact", true},
      {T::kAgiMath, "3", "4", "exact", false},
      {T::kAgiMath, "10", "10\\text{ cm}", "exact", true},
      {T::kAgiMath, "\\frac{2}{4}", "\\frac{1}{2}", "exact", true},
      {T::kAgiMath, "2\\sqrt{3}", "2\\sqrt3", "exact", true},
      // lm-eval gsm8k: exact match after dropping ",", "$", a final "." (18.00 is not 18 there).
      {T::kGsm8k, "18", "$18.", "lm-eval-exact-match", true},
      {T::kGsm8k, "18", "18.00", "lm-eval-exact-match", false},
      {T::kGsm8k, "1234", "1,234", "lm-eval-exact-match", true},
      {T::kGsm8k, "18", "1", "lm-eval-exact-match", false},
      // lm-eval GPQA: against "(X)", ignoring case and punctuation, so "(B" still counts.
      {T::kGpqa, "B", "(B", "lm-eval-exact-match-ignore-punctuation", true},
      {T::kGpqa, "B", "(b)", "lm-eval-exact-match-ignore-punctuation", true},
      {T::kGpqa, "B", "(C) because it is stabl", "lm-eval-exact-match-ignore-punctuation", false},
      // simple-evals: the captured letter as is.
      {T::kGpqa, "B", "B", "simple-evals-letter", true},
      {T::kGpqa, "B", "b", "simple-evals-letter", false},
      // Qwen math_equal subset: rel_tol 1e-4, and gold/100 or gold*100 also match.
      {T::kGsm8k, "18", "18", "qwen-math-equal-rel-1e-4", true},
      {T::kGsm8k, "18", "0.18", "qwen-math-equal-rel-1e-4", true},
      {T::kGsm8k, "18", "18.0001", "qwen-math-equal-rel-1e-4", true},
      {T::kGsm8k, "18", "19", "qwen-math-equal-rel-1e-4", false},
      {T::kGsm8k, "0.5", "\\frac{1}{2}", "qwen-math-equal-rel-1e-4", true},
      {T::kAime, "25", "025", "qwen-math-equal-rel-1e-4", true},
      {T::kMathQa, "C", "C", "qwen-math-equal-rel-1e-4", true},
      {T::kMathQa, "C", "D", "qwen-math-equal-rel-1e-4", false},
      // ReFT: |prediction - gold| <= 1e-2.
      {T::kGsm8k, "18", "18.005", "reft-abs-1e-2", true},
      {T::kGsm8k, "18", "18.02", "reft-abs-1e-2", false},
      {T::kGsm8k, "1450000", "1450001", "reft-abs-1e-2", false},
      // Cloze numbers: exact value too.
      {T::kAgiMath, "1450000", "1450001", "exact", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.gold) + " vs " + c.value + " (" + c.equivalence + ")");
    tasks::ExtractedAnswer answer;
    answer.valid = true;
    answer.value = c.value;
    answer.rule = "test";
    answer.equivalence = c.equivalence;
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

// End to end: the default preset gets right what the anchors get wrong, and every answer names the
// comparison its preset applies, found or not (samples.jsonl records it).
TEST(EquivalenceTest, DefaultPresetScoresAnchorPitfallsCorrectly) {
  struct E2e {
    T task;
    const char* gold;
    const char* completion;
    const char* preset;
    bool correct;
    const char* equivalence;
  };
  const std::vector<E2e> cases = {
      {T::kGsm8k, "18", "The answer is 18", "default", true, "exact"},
      {T::kGsm8k, "18", "The answer is 18", "lm-eval-cot", false, "lm-eval-exact-match"},
      {T::kGsm8k, "18", "**Answer: \\$18**", "default", true, "exact"},
      {T::kGsm8k, "18", "**Answer: \\$18**", "lm-eval-strict", false, "lm-eval-exact-match"},
      {T::kGsm8k, "18", "The answer is 6.\n\nQ: ...\nThe answer is 18.", "default", true, "exact"},
      {T::kGsm8k, "18", "The answer is 6.\n\nQ: ...\nThe answer is 18.", "lm-eval-cot", false, "lm-eval-exact-match"},
      {T::kGpqa, "B", "**Answer:** B", "default", true, "exact"},
      {T::kGpqa, "B", "**Answer:** B", "simple-evals", false, "simple-evals-letter"},
      {T::kGpqa, "B", "Answer: (B)", "default", true, "exact"},
      {T::kGpqa, "B", "Answer: (B)", "simple-evals", false, "simple-evals-letter"},
      {T::kGpqa, "B", "The answer is (B)", "lm-eval-strict", true, "lm-eval-exact-match-ignore-punctuation"},
      {T::kGpqa, "B", "The answer is B", "lm-eval-strict", false, "lm-eval-exact-match-ignore-punctuation"},
      {T::kGpqa, "B", "The answer is B", "default", true, "exact"},
      {T::kAime, "42", "\\[ \\boxed{42} \\]", "default", true, "exact"},
      {T::kAime, "25", "\\boxed{025}", "default", true, "exact"},
      {T::kAgiMath, "\\frac{1}{2}", "\\boxed{\\frac{1}{2}}", "default", true, "exact"},
      {T::kJecQa, "AD", "The answer is D, A", "default", true, "exact"},
      {T::kMathQa, "C", "so the answer is c ) 30", "default", true, "exact"},
      // A wrong integer never scores, however close (the default used a relative tolerance of 1e-6).
      {T::kGsm8k, "1450000", "The answer is 1450001", "default", false, "exact"},
      {T::kGsm8k, "1450000", "The answer is 1,450,000.", "default", true, "exact"},
      {T::kSvamp, "1000000", "The answer is 1000000.5", "flexible", false, "exact"},
      {T::kGsm8k, "18", "The answer is 18.004", "reft", true, "reft-abs-1e-2"},
      {T::kGsm8k, "18", "The answer is 18.004", "default", false, "exact"},
      {T::kGsm8k, "18", "no answer here", "strict", false, "exact"},
      {T::kGsm8k, "18", "#### 18", "lm-eval-strict", true, "lm-eval-exact-match"},
      {T::kGsm8k, "18", "\\boxed{18}", "qwen", true, "qwen-math-equal-rel-1e-4"},
      {T::kGpqa, "B", "(B)", "lm-eval-flexible", true, "lm-eval-exact-match-ignore-punctuation"},
      {T::kMathQa, "C", "C", "qwen", true, "qwen-math-equal-rel-1e-4"},
  };
  for (const E2e& c : cases) {
    SCOPED_TRACE(std::string(c.completion) + " [" + c.preset + "]");
    auto record = MakeRecord(c.task, c.gold);
    auto answer = tasks::extract::Extract(c.completion, record, c.preset);
    EXPECT_EQ(tasks::extract::IsEquivalent(answer, record), c.correct);
    EXPECT_EQ(answer.equivalence, c.equivalence);
  }
}

}  // namespace
