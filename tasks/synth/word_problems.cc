// GSM8K and SVAMP generators: chain stories rendered as GSM8K {question, answer} (with <<a*b=c>>
// calculator annotations and "#### N") and as SVAMP {ID, Body, Question, Equation, Answer, Type}.
#include <cmath>

#include "tasks/synth/chain.h"
#include "tasks/synth/generators.h"

namespace tasks::synth::internal {

namespace {

std::string JoinSentences(const std::vector<std::string>& sentences) {
  std::string out;
  for (const auto& s : sentences) out += (out.empty() ? "" : " ") + s;
  return out;
}

// SVAMP writes every number as a float: "( 76.0 - 25.0 )".
std::string SvampNumber(double v) {
  std::string s = Num(v);
  return s.find('.') == std::string::npos ? s + ".0" : s;
}

std::string SvampEquation(const Derivation& d, int step) {
  const CalcStep& s = d.steps[step];
  auto operand = [&d](const Operand& o) {
    return o.ref >= 0 ? SvampEquation(d, o.ref) : SvampNumber(o.literal);
  };
  return "( " + operand(s.lhs) + " " + std::string(1, s.op) + " " + operand(s.rhs) + " )";
}

// SVAMP's Type names the problem by its (last) operation.
std::string SvampType(char op) {
  switch (op) {
    case '+':
      return "Addition";
    case '-':
      return "Subtraction";
    case '*':
      return "Multiplication";
    default:
      return "Common-Division";
  }
}

}  // namespace

int Uniform(util::SplitMix64& rng, int lo, int hi) {
  if (hi <= lo) return lo;
  return lo + static_cast<int>(rng.Below(static_cast<uint64_t>(hi - lo) + 1));
}

Candidate MakeGsm8k(util::SplitMix64& rng, const Knobs& knobs) {
  int steps = Uniform(rng, knobs.min_steps, knobs.max_steps);
  Chain chain = MakeChain(rng, steps, knobs.max_value);
  Candidate c;
  c.derivation = chain.derivation;
  c.derivation.answer = Num(chain.answer);
  std::string question = JoinSentences(chain.sentences) + " " + chain.question;
  c.item.key = NormalizeForSplit(question);
  c.item.gold = c.derivation.answer;
  c.item.steps = steps;
  c.item.family = "chain";
  c.item.record["question"] = question;
  c.item.record["answer"] = RenderGsm8kAnswer(c.derivation);
  return c;
}

Candidate MakeSvamp(util::SplitMix64& rng, const Knobs& knobs) {
  int steps = Uniform(rng, knobs.min_steps, knobs.max_steps);
  Chain chain = MakeChain(rng, steps, knobs.max_value);
  Candidate c;
  c.derivation = chain.derivation;
  c.derivation.answer = Num(chain.answer);
  std::string body = JoinSentences(chain.sentences);
  c.item.key = NormalizeForSplit(body + " " + chain.question);
  c.item.gold = c.derivation.answer;
  c.item.steps = steps;
  c.item.family = "chain";
  int last = static_cast<int>(chain.derivation.steps.size()) - 1;
  c.item.record["ID"] = "";  // assigned once the item is kept
  c.item.record["Body"] = body;
  c.item.record["Question"] = chain.question;
  c.item.record["Equation"] = SvampEquation(chain.derivation, last);
  c.item.record["Answer"] = chain.answer;  // a float, as published ("Answer": 51.0)
  c.item.record["Type"] = SvampType(chain.ops.back());
  return c;
}

}  // namespace tasks::synth::internal
