// Table-driven extraction tests: every preset of every task family, including each anchor pitfall
// listed in eval_anchors.md §2 and §5.1 as a golden case.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness/util/error.h"
#include "tasks/extract/extract.h"
#include "tests/extract/test_records.h"

namespace {

using extract_test::MakeRecord;
using extract_test::T;

constexpr const char* kInvalid = "<invalid>";

struct Case {
  T task;
  const char* preset;
  std::string completion;
  const char* expected;  // normalised value, or kInvalid
  const char* rule;      // the step that fired ("none" when invalid)
};

std::string Name(T t) { return MakeRecord(t).task + "/" + MakeRecord(t).variant; }

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      // ---------------- GSM8K, default: the last explicit marker wins ----------------
      {T::kGsm8k, "default", "She sells 16 - 3 - 4 = 9 eggs.\n9 * 2 = 18\n#### 18", "18", "hash_marker"},
      {T::kGsm8k, "default", "#### 1,234", "1234", "hash_marker"},
      {T::kGsm8k, "default", "####18", "18", "hash_marker"},
      {T::kGsm8k, "default", "#### 18.5", "18.5", "hash_marker"},
      {T::kGsm8k, "default", "#### -7", "-7", "hash_marker"},
      {T::kGsm8k, "default", "The answer is 18.", "18", "answer_is"},
      {T::kGsm8k, "default", "The answer is 18", "18", "answer_is"},      // lm-eval-cot gives "1"
      {T::kGsm8k, "default", "The answer is 18\n", "18", "answer_is"},
      {T::kGsm8k, "default", "The answer is $18.", "18", "answer_is"},    // lm-eval-cot finds nothing
      {T::kGsm8k, "default", "The answer is \\$18.", "18", "answer_is"},
      {T::kGsm8k, "default", "The answer is: 18", "18", "answer_is"},
      {T::kGsm8k, "default", "The answer is **18**.", "18", "answer_is"},
      {T::kGsm8k, "default", "the answer is \\(18\\)", "18", "answer_is"},
      {T::kGsm8k, "default", "The answer is 1,000,000.", "1000000", "answer_is"},
      {T::kGsm8k, "default", "The answer is -5.", "-5", "answer_is"},
      {T::kGsm8k, "default", "The answer is \xE2\x88\x92" "7", "-7", "answer_is"},
      {T::kGsm8k, "default", "The answer is 3/4.", "0.75", "answer_is"},
      {T::kGsm8k, "default", "The answer is 18.00", "18", "answer_is"},
      {T::kGsm8k, "default", "The answer is 2.50", "2.5", "answer_is"},
      {T::kGsm8k, "default", "The answer is 25%.", "25", "answer_is"},
      {T::kGsm8k, "default", "The answer is 0.5", "0.5", "answer_is"},
      {T::kGsm8k, "default", "The answer is .5", "0.5", "answer_is"},
      {T::kGsm8k, "default", "The answer is\n\n18", "18", "answer_is"},
      {T::kGsm8k, "default", "The correct answer is 42 apples.", "42", "answer_is"},
      {T::kGsm8k, "default", "The final answer is 18.", "18", "final_answer_is"},
      {T::kGsm8k, "default", "Final Answer: The final answer is 18. I hope it is correct.", "18",
       "final_answer_is"},
      {T::kGsm8k, "default", "Answer: 18", "18", "answer_colon"},
      {T::kGsm8k, "default", "**Answer:** 18", "18", "answer_colon"},
      {T::kGsm8k, "default", "**Answer: $18**", "18", "answer_colon"},
      {T::kGsm8k, "default", "**Answer: \\$18**", "18", "answer_colon"},    // tpu-inference #2318
      {T::kGsm8k, "default", "**Answer**: 18", "18", "answer_colon"},
      {T::kGsm8k, "default", "**Final Answer:** 18", "18", "answer_colon"},
      {T::kGsm8k, "default", "Answer: 18 apples", "18", "answer_colon"},
      {T::kGsm8k, "default", "ANSWER: 1,200", "1200", "answer_colon"},
      {T::kGsm8k, "default", "The final answer is $\\boxed{18}$.", "18", "boxed"},
      {T::kGsm8k, "default", "\\[ \\boxed{42} \\]", "42", "boxed"},               // lm-eval #4205
      {T::kGsm8k, "default", "So the total is \\boxed{1,000}.", "1000", "boxed"},
      {T::kGsm8k, "default", "\\boxed{\\frac{1}{2}}", "0.5", "boxed"},
      {T::kGsm8k, "default", "\\boxed{\\dfrac{3}{4}}", "0.75", "boxed"},
      {T::kGsm8k, "default", "\\boxed{18 \\text{ dollars}}", "18", "boxed"},
      {T::kGsm8k, "default", "\\boxed{50\\%}", "50", "boxed"},
      {T::kGsm8k, "default", "\\boxed{\\$18}", "18", "boxed"},
      {T::kGsm8k, "default", "\\boxed {18}", "18", "boxed"},
      {T::kGsm8k, "default", "\\fbox{18}", "18", "boxed"},
      {T::kGsm8k, "default", "Answer: \\boxed{7}", "7", "boxed"},
      // Recited few-shot answers, then the real one: the last marker wins (lm-eval #3438).
      {T::kGsm8k, "default",
       "Q: There are 15 trees. A: 21 - 15 = 6. The answer is 6.\n\nQ: Leah had 32 chocolates. "
       "A: 32 + 42 = 74. The answer is 39.\n\nQ: Janet's ducks lay 16 eggs. A: 9 * 2 = 18. The answer is 18.",
       "18", "answer_is"},
      {T::kGsm8k, "default", "#### 5\nLet me redo this. The answer is 18.", "18", "answer_is"},
      {T::kGsm8k, "default", "The answer is 5. Wait, I made an error.\n#### 18", "18", "hash_marker"},
      {T::kGsm8k, "default", "The answer is 18\n\nQuestion: Tom has 7 apples.", "18", "answer_is"},
      {T::kGsm8k, "default", "\\boxed{5} is wrong; the answer is 6.", "6", "answer_is"},
      {T::kGsm8k, "default", "The answer is unclear. Computing again: 4 + 5 = 9.", "9", "last_number"},
      // No marker: the last number.
      {T::kGsm8k, "default", "She makes 9 * 2 = 18 dollars every day.", "18", "last_number"},
      {T::kGsm8k, "default", "He earns $1,200 per week.", "1200", "last_number"},
      {T::kGsm8k, "default", "Therefore x = -3", "-3", "last_number"},
      {T::kGsm8k, "default", "It takes 3-5 hours, so 7 in total", "7", "last_number"},
      {T::kGsm8k, "default", "The difference is 10-4", "4", "last_number"},
      {T::kGsm8k, "default", "So she pays 12.50.", "12.5", "last_number"},
      {T::kGsm8k, "default", "I don't know.", kInvalid, "none"},
      {T::kGsm8k, "default", "", kInvalid, "none"},
      {T::kGsm8k, "default", "The answer is not clear", kInvalid, "none"},
      {T::kGsm8k, "default", std::string("\xff\xfe\x80 The answer is 7 \xc3", 21), "7", "answer_is"},
      {T::kGsm8k, "default", std::string("nul\0bytes\0 then 12", 18), "12", "last_number"},
      // Chat and reasoning-model formats.
      {T::kGsm8k, "default", "Janet has 16 eggs.\n\n**Final Answer**\n\\[\n\\boxed{18}\n\\]", "18", "boxed"},
      {T::kGsm8k, "default", "<think>\nMaybe 17? No, 9*2=18.\n</think>\nJanet makes **$18** per day.", "18",
       "last_number"},
      {T::kGsm8k, "default", "The answer is 3.5 hours.", "3.5", "answer_is"},
      // R1 recites the few-shot "#### N" lines first (lm-eval #3438): the last one is the answer.
      {T::kGsm8k, "default", "#### 5\n\n#### 18", "18", "hash_marker"},
      // ---------------- GSM8K, strict: markers only ----------------
      {T::kGsm8k, "strict", "#### 18", "18", "hash_marker"},
      {T::kGsm8k, "strict", "The answer is 18", "18", "answer_is"},
      {T::kGsm8k, "strict", "She makes 18 dollars.", kInvalid, "none"},
      {T::kGsm8k, "strict", "\\boxed{18}", "18", "boxed"},
      {T::kGsm8k, "strict", "**Answer: $18**", "18", "answer_colon"},
      {T::kGsm8k, "strict", "The answer is unknown", kInvalid, "none"},
      {T::kGsm8k, "strict", "The answer is 6.\n\nQ: next\nThe answer is 18.", "18", "answer_is"},
      {T::kGsm8k, "strict", "", kInvalid, "none"},
      // ---------------- GSM8K, flexible ----------------
      {T::kGsm8k, "flexible", "She makes 18 dollars.", "18", "last_number"},
      {T::kGsm8k, "flexible", "So the result would be 18 dollars in total, not 20.", "18", "answer_word"},
      {T::kGsm8k, "flexible", "9 * 2 = 18", "18", "last_equals"},
      {T::kGsm8k, "flexible", "9 * 2 = 18 dollars, which she saves. Then 3 more.", "18", "last_equals"},
      {T::kGsm8k, "flexible", "The answer is 18", "18", "answer_is"},
      {T::kGsm8k, "flexible", "#### 18", "18", "hash_marker"},
      {T::kGsm8k, "flexible", "nothing here", kInvalid, "none"},
      // ---------------- GSM8K, lm-eval strict-match `#### (\-?[0-9\.\,]+)` ----------------
      {T::kGsm8k, "lm-eval-strict", "#### 18", "18", "lmeval_strict_match"},
      {T::kGsm8k, "lm-eval-strict", "#### 1,234", "1,234", "lmeval_strict_match"},
      {T::kGsm8k, "lm-eval-strict", "####18", kInvalid, "none"},
      {T::kGsm8k, "lm-eval-strict", "The answer is 18", kInvalid, "none"},
      {T::kGsm8k, "lm-eval-strict", "#### 18\n#### 20", "18", "lmeval_strict_match"},
      {T::kGsm8k, "lm-eval-strict", "#### $18", kInvalid, "none"},
      {T::kGsm8k, "lm-eval-strict", "#### 5\n\n#### 18", "5", "lmeval_strict_match"},     // takes the first
      {T::kGsm8k, "lm-eval-strict", "#### 18.", "18.", "lmeval_strict_match"},
      {T::kGsm8k, "lm-eval-strict", "**Answer: \\$18**", kInvalid, "none"},
      // ---------------- GSM8K, lm-eval flexible-extract, last match ----------------
      {T::kGsm8k, "lm-eval-flexible", "She makes 9 * 2 = $18.", "$18.", "lmeval_flexible_extract"},
      {T::kGsm8k, "lm-eval-flexible", "The answer is 18", "18", "lmeval_flexible_extract"},
      {T::kGsm8k, "lm-eval-flexible", "Total: 5 apples", "5", "lmeval_flexible_extract"},
      {T::kGsm8k, "lm-eval-flexible", "no digits", kInvalid, "none"},
      {T::kGsm8k, "lm-eval-flexible", "Answer: 18\n\nQuestion: 7 cats", "7", "lmeval_flexible_extract"},
      {T::kGsm8k, "lm-eval-flexible", "It costs $1,200.", "$1,200.", "lmeval_flexible_extract"},
      {T::kGsm8k, "lm-eval-flexible", "x = 3-2", "-2", "lmeval_flexible_extract"},
      {T::kGsm8k, "lm-eval-flexible", "**Answer: \\$18**", "$18", "lmeval_flexible_extract"},
      // ---------------- GSM8K, lm-eval gsm8k_cot `The answer is (\-?[0-9\.\,]+).` ----------------
      {T::kGsm8k, "lm-eval-cot", "The answer is 18.", "18", "lmeval_cot_strict"},
      {T::kGsm8k, "lm-eval-cot", "The answer is 18", "1", "lmeval_cot_strict"},     // the truncation bug
      {T::kGsm8k, "lm-eval-cot", "The answer is 18\n", "1", "lmeval_cot_strict"},
      {T::kGsm8k, "lm-eval-cot", "The answer is $18.", kInvalid, "none"},
      {T::kGsm8k, "lm-eval-cot", "The answer is 1,234.", "1,234", "lmeval_cot_strict"},
      {T::kGsm8k, "lm-eval-cot", "The answer is 5. Then... The answer is 18.", "5.", "lmeval_cot_strict"},
      {T::kGsm8k, "lm-eval-cot", "the answer is 18.", kInvalid, "none"},
      {T::kGsm8k, "lm-eval-cot", "The answer is 7 apples.", "7", "lmeval_cot_strict"},
      // reft: the marked answers (strict), compared by ReFT's |d| <= 1e-2 (equivalence_test).
      {T::kGsm8k, "reft", "The answer is 18.004", "18.004", "answer_is"},
      {T::kSvamp, "reft", "so 7 apples", kInvalid, "none"},
      // ---------------- GSM8K, Qwen2.5-Math extract_answer + strip_string ----------------
      {T::kGsm8k, "qwen", "\\boxed{18}", "18", "qwen_boxed"},
      {T::kGsm8k, "qwen", "The answer is 18 apples.", "18", "qwen_answer_is"},
      {T::kGsm8k, "qwen", "The answer is $18.", "18", "qwen_answer_is"},
      {T::kGsm8k, "qwen", "She makes 9 * 2 = 18 dollars", "18", "qwen_last_number"},
      {T::kGsm8k, "qwen", "She makes 1,800 dollars", "1800", "qwen_last_number"},
      {T::kGsm8k, "qwen", "The final answer is $18$. I hope it is correct.", "18", "qwen_minerva"},
      {T::kGsm8k, "qwen", "\\boxed{18.00}", "18", "qwen_boxed"},
      {T::kGsm8k, "qwen", "\\boxed{50\\%}", "50", "qwen_boxed"},
      {T::kGsm8k, "qwen", "\\boxed{\\frac{1}{2}}", "\\frac{1}{2}", "qwen_boxed"},
      {T::kGsm8k, "qwen", "\\boxed{1/2}", "\\frac{1}{2}", "qwen_boxed"},
      {T::kGsm8k, "qwen", "\\boxed{x=5}", "5", "qwen_boxed"},
      {T::kGsm8k, "qwen", "\\boxed{10\\text{ m}}", "10", "qwen_boxed"},
      {T::kGsm8k, "qwen", "The answer is 18.\nthe answer is 5.", "5", "qwen_answer_is"},
      {T::kGsm8k, "qwen", "\\boxed{4} first, then the answer is 6", "4", "qwen_boxed"},
      {T::kGsm8k, "qwen", "no number at all", kInvalid, "none"},
      {T::kGsm8k, "qwen", "The final answer is 12", "12", "qwen_final_answer_is"},
      {T::kGsm8k, "qwen", "\\boxed{\\sqrt{2}/2}", "\\frac{\\sqrt{2}}{2}", "qwen_boxed"},
      {T::kGsm8k, "qwen", "Step 1: 9*2 = 18 \xD0\xBA\xD0\xB8\nThe answer is 18 \xD0\xBA\xD0\xB8", "18", "qwen_answer_is"},
      {T::kGsm8k, "qwen", "The answer is 10 mph", "10", "qwen_answer_is"},
      // ---------------- SVAMP (numeric, scored like GSM8K) ----------------
      {T::kSvamp, "default", "Jack had 8 pens and gave 3 away. The answer is 5.0", "5", "answer_is"},
      {T::kSvamp, "default", "8 - 3 = 5", "5", "last_number"},
      {T::kSvamp, "default", "#### 12", "12", "hash_marker"},
      {T::kSvamp, "default", "The answer is 0.25.", "0.25", "answer_is"},
      {T::kSvamp, "strict", "8 - 3 = 5", kInvalid, "none"},
      {T::kSvamp, "flexible", "8 - 3 = 5 pens", "5", "last_equals"},
      {T::kSvamp, "lm-eval-flexible", "8 - 3 = 5", "5", "lmeval_flexible_extract"},
      {T::kSvamp, "lm-eval-strict", "#### 5", "5", "lmeval_strict_match"},
      {T::kSvamp, "lm-eval-cot", "The answer is 5.", "5", "lmeval_cot_strict"},
      {T::kSvamp, "qwen", "The answer is 5.0", "5", "qwen_answer_is"},
      // ---------------- MathQA (5 options, lowercase "c )" style) ----------------
      {T::kMathQa, "default", "so the answer is c ) 30", "C", "answer_is"},
      {T::kMathQa, "default", "the answer is b", "B", "answer_is"},
      {T::kMathQa, "default", "the answer is b.", "B", "answer_is"},
      {T::kMathQa, "default", "The answer is (e).", "E", "answer_is"},
      {T::kMathQa, "default", "Answer: (D)", "D", "answer_colon"},
      {T::kMathQa, "default", "**Answer:** (B)", "B", "answer_colon"},
      {T::kMathQa, "default", "\\boxed{B}", "B", "boxed"},
      {T::kMathQa, "default", "\\boxed{\\text{B}}", "B", "boxed"},
      {T::kMathQa, "default", "\\boxed{(C)}", "C", "boxed"},
      {T::kMathQa, "default", "so the answer is 30", "C", "answer_is"},
      {T::kMathQa, "default", "so the answer is 27.675 m", "B", "answer_is"},
      {T::kMathQa, "default", "The answer is none of these", "D", "answer_is"},
      {T::kMathQa, "default", "The answer is 12 m.", "E", "answer_is"},
      {T::kMathQa, "default", "We compute 12 * 3 and pick option (E).", "E", "last_paren_letter"},
      {T::kMathQa, "default", "Hence c ) is correct", "C", "last_paren_letter"},
      {T::kMathQa, "default", "Therefore the result is C.", "C", "last_letter"},
      {T::kMathQa, "default", "The answer is F.", kInvalid, "none"},
      {T::kMathQa, "default", "A train leaves at 3. Hmm.", kInvalid, "none"},
      {T::kMathQa, "default", "A train travels 30 km. (B) is right", "B", "last_paren_letter"},
      {T::kMathQa, "default", "The answer is a ) 38.\nNext problem.\nThe answer is e ) 12 m", "E", "answer_is"},
      {T::kMathQa, "default", "The speed is 27.675 km/h overall", "B", "option_text"},
      {T::kMathQa, "default", "the correct option is d", "D", "option_is"},
      {T::kMathQa, "default", "the answer is a", "A", "answer_is"},
      {T::kMathQa, "strict", "(E)", kInvalid, "none"},
      {T::kMathQa, "strict", "The answer is (e)", "E", "answer_is"},
      {T::kMathQa, "strict", "Therefore the result is C.", kInvalid, "none"},
      {T::kMathQa, "strict", "Answer: c", "C", "answer_colon"},
      {T::kMathQa, "flexible", "I pick (b) here", "B", "last_paren_letter_any_case"},
      {T::kMathQa, "flexible", "The answer is (e)", "E", "answer_is"},
      {T::kMathQa, "flexible", "Therefore the result is C.", "C", "last_letter"},
      {T::kMathQa, "qwen", "The answer is (C).", "C", "qwen_choice_clean"},
      {T::kMathQa, "qwen", "Therefore, B is correct and not A", "A", "qwen_choice_clean"},
      {T::kMathQa, "qwen", "The answer is B.\n\nQ: next one. The answer is C.", "B", "qwen_choice_clean"},
      {T::kMathQa, "qwen", "the choice is d", "D", "qwen_choice_clean"},
      // Python's \b sees no boundary between a CJK character and a letter: no letter is found.
      {T::kMathQa, "qwen", "\xE7\xAD\x94\xE6\xA1\x88\xE6\x98\xAF" "B", "\xE7\xAD\x94\xE6\xA1\x88\xE6\x98\xAF" "B",
       "qwen_choice_clean"},
      // ---------------- AGIEval multiple choice (lsat-ar, 5 options) ----------------
      {T::kLsat, "default", "The answer is (A).", "A", "answer_is"},
      {T::kLsat, "default", "Answer: A", "A", "answer_colon"},
      {T::kLsat, "default", "\xE7\xAD\x94\xE6\xA1\x88\xE6\x98\xAF C", "C", "answer_is_zh"},
      {T::kLsat, "default", "\xE7\xAD\x94\xE6\xA1\x88\xE4\xB8\xBA" "D", "D", "answer_is_zh"},
      {T::kLsat, "default", "The answer is Helen.", "C", "answer_is"},
      {T::kLsat, "default", "Among A through E, the answer is D", "D", "answer_is"},
      {T::kLsat, "default", "The answer is A because Fiona must be first.", "A", "answer_is"},
      {T::kLsat, "default", "The answer is a) Fiona", "A", "answer_is"},
      {T::kLsat, "default", "The answer is a good one: (B)", "B", "last_paren_letter"},
      {T::kLsat, "default", "The answer is: **Option (C)**", "C", "answer_is"},
      {T::kLsat, "default", "Only Julia can be last.", "E", "option_text"},
      {T::kLsat, "default", "George or Helen? It must be Irving.", "D", "option_text"},
      {T::kLsat, "default", "The answer is (B). Wait, re-checking: The answer is (D).", "D", "answer_is"},
      {T::kLsat, "default", "B", "B", "last_letter"},
      {T::kLsat, "default", "I think B-trees are irrelevant; nothing fits", kInvalid, "none"},
      {T::kLsat, "strict", "Only Julia can be last.", kInvalid, "none"},
      {T::kLsat, "strict", "The answer is Julia", "E", "answer_is"},
      {T::kLsat, "flexible", "Only Julia can be last.", "E", "option_text"},
      {T::kLsat, "qwen", "The answer is (A).", "A", "qwen_choice_clean"},
      // ---------------- AGIEval sat-math (4 options) ----------------
      {T::kSatMath, "default", "The answer is E", kInvalid, "none"},
      {T::kSatMath, "default", "The answer is 12", "C", "answer_is"},
      {T::kSatMath, "default", "\\boxed{16}", "D", "boxed"},
      {T::kSatMath, "default", "The answer is (D)", "D", "answer_is"},
      {T::kSatMath, "default", "x = 4, so (A).", "A", "last_paren_letter"},
      {T::kSatMath, "strict", "x = 4, so (A).", kInvalid, "none"},
      {T::kSatMath, "flexible", "The answer is 8", "B", "answer_is"},
      // ---------------- AGIEval multi-answer (letter sets) ----------------
      {T::kJecQa, "default", "The answer is A, D", "AD", "answer_is"},
      {T::kJecQa, "default", "Answer: (A)(D)", "AD", "answer_colon"},
      {T::kJecQa, "default", "\xE7\xAD\x94\xE6\xA1\x88\xE6\x98\xAF" "AD", "AD", "answer_is_zh"},
      {T::kJecQa, "default", "The answer is B and C.", "BC", "answer_is"},
      {T::kJecQa, "default", "\\boxed{ACD}", "ACD", "boxed"},
      {T::kJecQa, "default", "The answer is D, A", "AD", "answer_is"},
      {T::kJecQa, "default", "Reasoning...\nA, C", "AC", "last_letter_line"},
      {T::kJecQa, "default", "The answer is E", kInvalid, "none"},
      {T::kJecQa, "default", "The answer is B", "B", "answer_is"},
      {T::kJecQa, "default", "The answer is A,B,C,D.", "ABCD", "answer_is"},
      {T::kJecQa, "strict", "Reasoning...\nA, C", kInvalid, "none"},
      {T::kJecQa, "strict", "Answer: A and B", "AB", "answer_colon"},
      {T::kJecQa, "flexible", "Reasoning...\nA, C", "AC", "last_letter_line"},
      {T::kJecQa, "flexible", "Both (B) and then (D) hold here", "D", "last_paren_letter"},
      {T::kJecQa, "qwen", "The answer is A, D", "A", "qwen_choice_clean"},   // Qwen keeps one letter
      // ---------------- AGIEval math (cloze) ----------------
      {T::kAgiMath, "default", "\\boxed{\\frac{1}{2}}", "\\frac{1}{2}", "boxed"},
      {T::kAgiMath, "default", "\\boxed{\\dfrac12}", "\\frac{1}{2}", "boxed"},
      {T::kAgiMath, "default", "\\boxed{x = 5}", "5", "boxed"},
      {T::kAgiMath, "default", "\\boxed{\\left( 1, 2 \\right)}", "(1,2)", "boxed"},
      {T::kAgiMath, "default", "The answer is $\\frac{3}{4}$.", "\\frac{3}{4}", "answer_is"},
      {T::kAgiMath, "default", "\\boxed{10\\text{ cm}}", "10", "boxed"},
      {T::kAgiMath, "default", "\\boxed{\\text{(B)}}", "(B)", "boxed"},
      {T::kAgiMath, "default", "The final answer is $2\\sqrt3$. I hope it is correct.", "2\\sqrt{3}",
       "final_answer_is"},
      {T::kAgiMath, "default", "So we get 7", "7", "last_number"},
      {T::kAgiMath, "default", "\\boxed{5.}", "5", "boxed"},
      {T::kAgiMath, "default", "\\boxed{50\\%}", "50", "boxed"},
      {T::kAgiMath, "default", "\\boxed{3/4}", "\\frac{3}{4}", "boxed"},
      {T::kAgiMath, "default", "\\boxed{90^\\circ}", "90", "boxed"},
      {T::kAgiMath, "default", "\\boxed{\\frac{\\sqrt{3}}{2}}", "\\frac{\\sqrt{3}}{2}", "boxed"},
      {T::kAgiMath, "default", "\\boxed{4.0}", "4", "boxed"},
      {T::kAgiMath, "default", "\\boxed{1} then \\boxed{2}", "2", "boxed"},
      {T::kAgiMath, "default", "Answer: 12", "12", "answer_colon"},
      {T::kAgiMath, "default", "nothing", kInvalid, "none"},
      {T::kAgiMath, "strict", "So we get 7", kInvalid, "none"},
      {T::kAgiMath, "strict", "\\boxed{\\tfrac{2}{3}}", "\\frac{2}{3}", "boxed"},
      {T::kAgiMath, "flexible", "Thus $y = \\frac{1}{3}$", "\\frac{1}{3}", "last_math"},
      {T::kAgiMath, "flexible", "So we get 7", "7", "last_number"},
      {T::kAgiMath, "qwen", "\\boxed{\\dfrac{1}{2}}", "\\frac{1}{2}", "qwen_boxed"},
      {T::kAgiMath, "qwen", "\\boxed{\\left(1, 2\\right)}", "(1,2)", "qwen_boxed"},
      // ---------------- GPQA (4 shuffled options) ----------------
      {T::kGpqa, "default", "Answer: B", "B", "answer_colon"},
      {T::kGpqa, "default", "**Answer:** B", "B", "answer_colon"},      // simple-evals misses this
      {T::kGpqa, "default", "Answer: (B)", "B", "answer_colon"},        // simple-evals misses this
      {T::kGpqa, "default", "The answer is (B)", "B", "answer_is"},     // lm-eval strict gives "(B"
      {T::kGpqa, "default", "The answer is (B).", "B", "answer_is"},
      {T::kGpqa, "default", "Answer: $C$", "C", "answer_colon"},
      {T::kGpqa, "default", "**Answer: D**", "D", "answer_colon"},
      {T::kGpqa, "default", "ANSWER: A", "A", "answer_colon"},
      {T::kGpqa, "default", "The correct option is C", "C", "option_is"},
      {T::kGpqa, "default", "Answer: Carbon dioxide", "B", "answer_colon"},
      {T::kGpqa, "default", "Answer: A\nLet me reconsider the energies.\nAnswer: C", "C", "answer_colon"},
      {T::kGpqa, "default", "I think it's (D)", "D", "last_paren_letter"},
      {T::kGpqa, "default", "The answer is E", kInvalid, "none"},
      {T::kGpqa, "default", "Answer: \\boxed{A}", "A", "boxed"},
      {T::kGpqa, "default", "The correct answer is **C. 12 eV**", "C", "answer_is"},
      {T::kGpqa, "default", "Answer: The correct choice is C", "C", "option_is"},
      {T::kGpqa, "default", "**Final Answer**\n\\boxed{C}", "C", "boxed"},
      {T::kGpqa, "default", "The answer is 12 eV", "C", "answer_is"},
      {T::kGpqa, "strict", "I think it's (D)", kInvalid, "none"},
      {T::kGpqa, "strict", "**Answer:** B", "B", "answer_colon"},
      {T::kGpqa, "flexible", "I think it's (d)", "D", "last_paren_letter_any_case"},
      {T::kGpqa, "lm-eval-strict", "The answer is (B)", "(B", "lmeval_strict_match"},   // drops last char
      {T::kGpqa, "lm-eval-strict", "The answer is (B).", "(B)", "lmeval_strict_match"},
      {T::kGpqa, "lm-eval-strict", "The answer is B", kInvalid, "none"},
      {T::kGpqa, "lm-eval-strict", "The answer is B\nMore text", kInvalid, "none"},
      {T::kGpqa, "lm-eval-strict", "the answer is (B).", kInvalid, "none"},
      {T::kGpqa, "lm-eval-strict", "The answer is \nThe answer is (C).", "(C)", "lmeval_strict_match"},
      {T::kGpqa, "lm-eval-strict", "The answer is (C) because it is stable",
       "(C) because it is stabl", "lmeval_strict_match"},
      {T::kGpqa, "lm-eval-flexible", "I think (a) is wrong, so (C)", "(C)", "lmeval_multi_choice_regex"},
      {T::kGpqa, "lm-eval-flexible", "The answer is carbon dioxide", "(B)", "lmeval_choice_text"},
      {T::kGpqa, "lm-eval-flexible", "Answer: D", "(D)", "lmeval_without_paren"},
      {T::kGpqa, "lm-eval-flexible", "Final: nothing", kInvalid, "none"},
      {T::kGpqa, "simple-evals", "Answer: B", "B", "simple_evals_answer"},
      {T::kGpqa, "simple-evals", "**Answer:** B", kInvalid, "none"},
      {T::kGpqa, "simple-evals", "Answer: (B)", kInvalid, "none"},
      {T::kGpqa, "simple-evals", "Answer: $C$", "C", "simple_evals_answer"},
      {T::kGpqa, "simple-evals", "answer: b", "b", "simple_evals_answer"},
      {T::kGpqa, "simple-evals", "Answer: A\nWait.\nAnswer: C", "A", "simple_evals_answer"},
      {T::kGpqa, "simple-evals", "ANSWER:D", "D", "simple_evals_answer"},
      {T::kGpqa, "simple-evals", "Answer:\nB", kInvalid, "none"},
      {T::kGpqa, "qwen", "The answer is (C).", "C", "qwen_choice_clean"},
      // ---------------- AIME (integers 0..999) ----------------
      {T::kAime, "default", "\\boxed{025}", "25", "boxed"},
      {T::kAime, "default", "\\boxed{1000}", kInvalid, "none"},
      {T::kAime, "default", "The final answer is \\boxed{204}.", "204", "boxed"},
      {T::kAime, "default", "\\[ \\boxed{42} \\]", "42", "boxed"},
      {T::kAime, "default", "So m+n = 33", "33", "last_number"},
      {T::kAime, "default", "The answer is 12.5", kInvalid, "none"},
      {T::kAime, "default", "The answer is $\\boxed{073}$", "73", "boxed"},
      {T::kAime, "default", "The answer is 7. Recomputing... \\boxed{8}", "8", "boxed"},
      {T::kAime, "default", "\\boxed{-5}", kInvalid, "none"},
      {T::kAime, "default", "\\boxed{100.0}", "100", "boxed"},
      {T::kAime, "default", "\\boxed{0}", "0", "boxed"},
      {T::kAime, "default", "\\boxed{999}", "999", "boxed"},
      {T::kAime, "default", "#### 017", "17", "hash_marker"},
      {T::kAime, "default", "Answer: 116", "116", "answer_colon"},
      // lm-eval #3352: the prompt had no \boxed{} and nothing was extracted.
      {T::kAime, "default", "Adding the cases gives 204.\nThe answer is 204", "204", "answer_is"},
      {T::kAime, "default", "\\boxed{12} ... the total is 1234", "12", "boxed"},
      {T::kAime, "strict", "So m+n = 33", kInvalid, "none"},
      {T::kAime, "strict", "\\boxed{33}", "33", "boxed"},
      {T::kAime, "flexible", "So m+n = 33", "33", "last_equals"},
      {T::kAime, "qwen", "\\boxed{025}", "025", "qwen_boxed"},
      {T::kAime, "qwen", "\\[ \\boxed{42} \\]", "42", "qwen_boxed"},
  };
  return cases;
}

TEST(ExtractTest, CaseTable) {
  ASSERT_GE(Cases().size(), 250u);
  for (size_t i = 0; i < Cases().size(); ++i) {
    const Case& c = Cases()[i];
    tasks::Record record = MakeRecord(c.task);
    SCOPED_TRACE("case " + std::to_string(i) + " " + Name(c.task) + " [" + c.preset + "] '" + c.completion + "'");
    tasks::ExtractedAnswer answer = tasks::extract::Extract(c.completion, record, c.preset);
    if (std::string(c.expected) == kInvalid) {
      EXPECT_FALSE(answer.valid) << "value '" << answer.value << "' rule " << answer.rule;
    } else {
      EXPECT_TRUE(answer.valid);
      EXPECT_EQ(answer.value, c.expected);
    }
    EXPECT_EQ(answer.rule, c.rule);
  }
}

TEST(ExtractTest, CaseTableCoversEveryPresetOfEveryTask) {
  for (T t : {T::kGsm8k, T::kSvamp, T::kMathQa, T::kLsat, T::kJecQa, T::kAgiMath, T::kGpqa, T::kAime}) {
    for (const std::string& preset : tasks::extract::PresetsFor(MakeRecord(t))) {
      bool covered = false;
      for (const Case& c : Cases()) covered = covered || (MakeRecord(c.task).kind == MakeRecord(t).kind &&
                                                          MakeRecord(c.task).task == MakeRecord(t).task &&
                                                          preset == c.preset);
      EXPECT_TRUE(covered) << Name(t) << " preset " << preset;
    }
  }
}

TEST(ExtractTest, PresetNamesAreStableAndDefaultFirst) {
  using V = std::vector<std::string>;
  EXPECT_EQ(tasks::extract::PresetsFor(MakeRecord(T::kGsm8k)),
            (V{"default", "strict", "flexible", "lm-eval-strict", "lm-eval-flexible", "lm-eval-cot", "reft", "qwen"}));
  EXPECT_EQ(tasks::extract::PresetsFor(MakeRecord(T::kGpqa)),
            (V{"default", "strict", "flexible", "lm-eval-strict", "lm-eval-flexible", "simple-evals", "qwen"}));
  EXPECT_EQ(tasks::extract::PresetsFor(MakeRecord(T::kMathQa)), (V{"default", "strict", "flexible", "qwen"}));
  EXPECT_EQ(tasks::extract::PresetsFor(MakeRecord(T::kJecQa)), (V{"default", "strict", "flexible", "qwen"}));
  EXPECT_EQ(tasks::extract::PresetsFor(MakeRecord(T::kAime)), (V{"default", "strict", "flexible", "qwen"}));
  EXPECT_EQ(tasks::extract::PresetsFor(MakeRecord(T::kAgiMath)), (V{"default", "strict", "flexible", "qwen"}));
  EXPECT_EQ(tasks::extract::PresetsFor(MakeRecord(T::kLcb)), (V{"default", "strict", "flexible", "first"}));
}

TEST(ExtractTest, UnknownPresetIsAnInputErrorWithSuggestion) {
  try {
    tasks::extract::Extract("#### 1", MakeRecord(T::kGsm8k), "lm-eval-strct");
    FAIL() << "no exception";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "extract");
    EXPECT_NE(std::string(e.what()).find("did you mean 'lm-eval-strict'"), std::string::npos) << e.what();
  }
  // A preset of another task is unknown here too.
  EXPECT_THROW(tasks::extract::Extract("Answer: B", MakeRecord(T::kMathQa), "simple-evals"), util::InputError);
  EXPECT_THROW(tasks::extract::Extract("x", MakeRecord(T::kLcb), "qwen"), util::InputError);
}

struct CodeCase {
  std::string completion;
  const char* which;
  const char* expected;
  const char* rule;
};

TEST(ExtractTest, CodeBlocks) {
  const std::vector<CodeCase> cases = {
      {"```python\nprint(1)\n```", "last", "print(1)", "fenced_last"},
      {"Here:\n```python\na = 1\n```\ntext\n```python\nb = 2\nprint(b)\n```\nDone.", "last", "b = 2\nprint(b)",
       "fenced_last"},
      {"Here:\n```python\na = 1\n```\ntext\n```python\nb = 2\n```", "first", "a = 1", "fenced_first"},
      {"print(1)", "last", kInvalid, "none"},
      {"```python\nprint(1)", "last", kInvalid, "none"},
      {"```\n```", "last", kInvalid, "none"},
      {"```py\nx = input()\n\nprint(x)\n```", "last", "x = input()\n\nprint(x)", "fenced_last"},
  };
  for (const CodeCase& c : cases) {
    SCOPED_TRACE(c.completion);
    auto answer = tasks::extract::ExtractCode(c.completion, c.which);
    if (std::string(c.expected) == kInvalid) {
      EXPECT_FALSE(answer.valid);
    } else {
      EXPECT_TRUE(answer.valid);
      EXPECT_EQ(answer.value, c.expected);
    }
    EXPECT_EQ(answer.rule, c.rule);
  }
  EXPECT_THROW(tasks::extract::ExtractCode("x", "middle"), util::InputError);
  auto record = MakeRecord(T::kLcb);
  auto whole = tasks::extract::Extract("print(1)", record, "flexible");
  EXPECT_TRUE(whole.valid);
  EXPECT_EQ(whole.rule, "whole_completion");
  EXPECT_FALSE(tasks::extract::Extract("print(1)", record, "default").valid);
  EXPECT_EQ(tasks::extract::Extract("```\na\n```\n```\nb\n```", record, "first").value, "a");
}

}  // namespace
