// A worked solution as data: the arithmetic steps a synthetic problem needs, from which every
// solution style (GSM8K annotations, N-CoT, P-CoT, tool calls, sub-optimal variants) is rendered.
// Keeping one structure means every style states the same numbers, and a corrupted step can be
// re-propagated.
#pragma once

#include <string>
#include <vector>

#include "harness/util/hashing.h"

namespace tasks::synth {

// A number a step uses: either a value stated in the problem (literal) or an earlier step's result.
struct Operand {
  int ref = -1;        // >= 0: the result of step `ref`
  double literal = 0;  // used when ref < 0
  std::string name;    // P-CoT variable name for a literal ("price"); "" = write the number inline
};

// Operand builders shared by every generator: a stated number (named in P-CoT when `name` is set),
// or the result of an earlier step.
inline Operand Lit(double v, const std::string& name) {
  Operand o;
  o.literal = v;
  o.name = name;
  return o;
}

inline Operand Ref(int step) {
  Operand o;
  o.ref = step;
  return o;
}

struct CalcStep {
  // op is '+', '-', '*', '/', '%' (remainder of non-negative integers) for a calculation, or 0 for
  // a sentence with no arithmetic (a deduction).
  char op = 0;
  Operand lhs;
  Operand rhs;
  std::string lead;    // words before the calculation: "After buying 5 more, Tom has"
  std::string unit;    // words after the result: "apples", "" for none
  std::string var;     // P-CoT variable name of the result
  std::string text;    // op == 0: the whole sentence
  bool heavy = false;  // tool style: compute this step with the Python tool
};

// A calculation step: `lead` lhs op rhs = result `unit`; `var` names the result in P-CoT programs.
inline CalcStep Calc(char op, Operand lhs, Operand rhs, const std::string& lead,
                     const std::string& unit, const std::string& var) {
  CalcStep s;
  s.op = op;
  s.lhs = lhs;
  s.rhs = rhs;
  s.lead = lead;
  s.unit = unit;
  s.var = var;
  return s;
}

// Multiple-choice problems map the computed result to an option; the letters are the shown ones.
struct ChoiceMap {
  std::vector<std::string> letters;  // "A".."E"
  std::vector<double> values;        // numeric value of each option (numeric MC only)
  std::vector<std::string> texts;    // option texts (non-numeric MC)
};

struct Derivation {
  std::vector<CalcStep> steps;
  std::string answer;       // the final answer a correct solution states: "36", "B", "025"
  ChoiceMap choices;        // empty letters = not multiple choice
  std::string python;       // non-empty: the family's own P-CoT body (non-arithmetic puzzles)
  std::string answer_note;  // sentence before the final line for MC ("36 is option (B).")
  std::string value_text;   // MC: the correct option's text as a solution states it ("36", "9000 grams")
};

// Values of every step (literal operands and earlier results combined with op).
std::vector<double> Evaluate(const Derivation& d);
double OperandValue(const Operand& operand, const std::vector<double>& values);
int CalcStepCount(const Derivation& d);

// "12 * 3" with operand values, in the given number format.
std::string ShownExpression(const CalcStep& step, const std::vector<double>& values);

// GSM8K gold: one line per step, "lead 12 * 3 = <<12*3=36>>36 unit.", then "#### answer".
std::string RenderGsm8kAnswer(const Derivation& d);
// Natural-language chain of thought ending "The answer is X."
std::string RenderNcot(const Derivation& d);
// N-CoT whose multiple-choice ending checks the options in turn against the computed value, one line
// each, up to the matching one: "So the answer is 36.\n(A) 32 = 36? no\n(B) 36 = 36? yes\nThe answer is
// (B)." Finding the letter of a value is then a run of local comparisons, which a small model learns,
// instead of one lookup across the prompt (learning_probes.md). Not multiple choice: RenderNcot.
std::string RenderNcotCheck(const Derivation& d);
// The sentence START (arXiv 2503.04625) puts in place of the end of a solution to make the model use
// its Python tool.
inline constexpr const char* kPythonHint = "Wait, maybe using Python here is a good idea.";
// START's hint for code (arXiv 2503.04625 v1 §2: the model tests its solution before answering).
inline constexpr const char* kDebugHint = "Wait, let me run the solution on the sample tests before answering.";
// START's tool-integrated solution: the RenderNcotCheck text (RenderNcot when not multiple choice), then
// kPythonHint, a program that recomputes the problem, what it prints, and the ending again:
//   <the RenderNcotCheck text>
//   Wait, maybe using Python here is a good idea.
//   <code>
//   s1 = 12 * 37
//   s2 = s1 - 5
//   print(s2)
//   </code>
//   <output>
//   439
//   </output>
//   The answer is 439.
// One line per calculation step, named s1, s2, ... in order; an earlier result is its name, a literal
// its number (Num); operators as RenderPcot writes them, except that a float operand gets / for an
// exact division (Python's // of floats can floor a rounded quotient). The output is what Python 3
// prints for the program ("12.0" once a float is involved, shortest repr). The ending repeated after
// </output> is the text's own: the final line (after the answer note, if any), or for multiple choice
// "So the answer is v.", the option checks and the final line. Without calculation steps: the
// RenderNcotCheck text alone.
std::string RenderNcotToolCheck(const Derivation& d);
// ReFT-style program: "def solution(): ... return result" plus a final print(solution()).
std::string RenderPcot(const Derivation& d);
// N-CoT in which heavy steps call the Python tool: "<code>\nprint(12 *
// 37)\n</code>\n<output>\n444\n</output>".
std::string RenderTool(const Derivation& d);

// One solution of a problem, labelled with where it came from (C-RLFT sources).
struct Solution {
  std::string source;  // "expert" | "suboptimal"
  std::string style;   // ncot | pcot | tool (RenderTool, RenderNcotToolCheck)
  std::string flaw;  // "" for expert; arithmetic_slip | skipped_step | sloppy_format | wrong_answer
  std::string text;
  bool correct = true;  // whether its final answer equals the gold
};

// Sub-optimal N-CoT variant. `wrong` picks a flaw that changes the final answer (arithmetic slip,
// wrong final answer); otherwise the flaw keeps the answer right (skipped step, sloppy format).
// Sub-optimal flaw kinds: wrong answers (arithmetic_slip, wrong_answer) and right answers with flawed
// reasoning (skipped_step, sloppy_format).
std::vector<std::string> FlawKinds();
// `allowed` restricts the flaw kinds drawn (empty = all, with the original draws). A slip that leaves
// the answer unchanged becomes a wrong final answer; a skipped step needs two steps, else the format is
// sloppy instead.
Solution RenderSuboptimal(const Derivation& d, bool wrong, util::SplitMix64& rng,
                          const std::vector<std::string>& allowed = {});

// Number formatting shared by all styles ("36", "2.5").
std::string Num(double value);

}  // namespace tasks::synth
