// MathQA generator: five-option word problems in the ongzexuan test.json layout (Problem,
// Rationale, options "a ) .. , b ) ..", correct, annotated_formula, linear_formula, category,
// processed_options), written in MathQA's lower-case, space-tokenised style. Distractors are
// near-misses of the solution.
#include <cmath>
#include <functional>

#include "harness/util/text.h"
#include "tasks/synth/chain.h"
#include "tasks/synth/generators.h"

namespace tasks::synth::internal {

namespace {

std::string N(double v) { return Num(v); }

// MathQA's own text style: lower case, punctuation split off as tokens.
std::string Tokenise(const std::string& text) {
  std::string lower = util::ToLower(text);
  std::string out;
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = lower[i];
    bool sentence_end = (c == '.' && (i + 1 == lower.size() || lower[i + 1] == ' '));
    if (c == ',' || c == '?' || sentence_end || c == '$') {
      if (!out.empty() && out.back() != ' ') out += ' ';
      out += c;
      if (i + 1 < lower.size() && lower[i + 1] != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  return util::CollapseWhitespace(out);
}

const char* FormulaName(char op) {
  switch (op) {
    case '+':
      return "add";
    case '-':
      return "subtract";
    case '*':
      return "multiply";
    default:
      return "divide";
  }
}

// A problem before options are attached.
struct Draft {
  std::string problem;
  std::string category;
  std::string linear;
  std::string annotated;
  Derivation derivation;
  double answer = 0;
  std::string family;
};

void Step(Derivation& d, char op, Operand lhs, Operand rhs, const std::string& lead,
          const std::string& unit, const std::string& var) {
  d.steps.push_back(Calc(op, lhs, rhs, lead, unit, var));
}

// Any number of steps: the word-problem chain, with formulas derived from its steps.
Draft ChainDraft(util::SplitMix64& rng, int steps, int max_value) {
  Chain chain = MakeChain(rng, steps, max_value);
  Draft d;
  std::string text;
  for (const auto& s : chain.sentences) text += s + " ";
  d.problem = Tokenise(text + chain.question);
  d.category = "general";
  d.derivation = chain.derivation;
  d.answer = chain.answer;
  d.family = "chain";
  // n_i numbers the stated values in order; #k is the k-th operation's result.
  int next_literal = 0;
  std::vector<std::string> nested(chain.derivation.steps.size());
  for (size_t i = 0; i < chain.derivation.steps.size(); ++i) {
    const CalcStep& s = chain.derivation.steps[i];
    auto linear = [&](const Operand& o) {
      return o.ref >= 0 ? "#" + std::to_string(o.ref) : "n" + std::to_string(next_literal++);
    };
    auto annotated = [&](const Operand& o) { return o.ref >= 0 ? nested[o.ref] : N(o.literal); };
    std::string lhs = linear(s.lhs);
    std::string rhs = linear(s.rhs);
    d.linear += std::string(FormulaName(s.op)) + "(" + lhs + "," + rhs + ")|";
    nested[i] =
        std::string(FormulaName(s.op)) + "(" + annotated(s.lhs) + ", " + annotated(s.rhs) + ")";
  }
  d.annotated = nested.back();
  return d;
}

Draft Percent(util::SplitMix64& rng, int max_value) {
  Draft d;
  double p = 5 * Uniform(rng, 1, 19);
  double q = 20 * Uniform(rng, 1, std::max(2, max_value / 2));
  d.problem = "what is " + N(p) + " % of " + N(q) + " ?";
  d.category = "gain";
  d.linear = "multiply(n0,n1)|divide(#0,const_100)|";
  d.annotated = "divide(multiply(" + N(p) + ", " + N(q) + "), const_100)";
  Step(d.derivation, '*', Lit(p, "percent"), Lit(q, "whole"), "The percentage times the whole is",
       "", "scaled");
  Step(d.derivation, '/', Ref(0), Lit(100, ""), "Dividing by 100 gives", "", "part");
  d.answer = p * q / 100;
  d.family = "percent";
  return d;
}

Draft Speed(util::SplitMix64& rng, int max_value) {
  Draft d;
  double v = Uniform(rng, 2, std::max(3, max_value));
  double t = Uniform(rng, 2, 9), t2 = Uniform(rng, 2, 12);
  if (t2 == t) t2 = t + 1;
  double dist = v * t;
  d.problem = "a car covers " + N(dist) + " km in " + N(t) +
              " hours . how many km will it cover in " + N(t2) + " hours at the same speed ?";
  d.category = "physics";
  d.linear = "divide(n0,n1)|multiply(#0,n2)|";
  d.annotated = "multiply(divide(" + N(dist) + ", " + N(t) + "), " + N(t2) + ")";
  Step(d.derivation, '/', Lit(dist, "distance"), Lit(t, "hours"), "The speed is", "km per hour",
       "speed");
  Step(d.derivation, '*', Ref(0), Lit(t2, "new_hours"), "In " + N(t2) + " hours it covers", "km",
       "covered");
  d.answer = v * t2;
  d.family = "speed";
  return d;
}

Draft Rectangle(util::SplitMix64& rng, int max_value, bool perimeter) {
  Draft d;
  double l = Uniform(rng, 3, std::max(4, max_value));
  double b = Uniform(rng, 2, static_cast<int>(l));
  d.problem = "the length of a rectangular field is " + N(l) + " m and its breadth is " + N(b) +
              " m . what is its " +
              (perimeter ? "perimeter in metres ?" : "area in square metres ?");
  d.category = "geometry";
  if (perimeter) {
    d.linear = "add(n0,n1)|multiply(#0,const_2)|";
    d.annotated = "multiply(add(" + N(l) + ", " + N(b) + "), const_2)";
    Step(d.derivation, '+', Lit(l, "length"), Lit(b, "breadth"), "Length plus breadth is", "m",
         "half_perimeter");
    Step(d.derivation, '*', Ref(0), Lit(2, ""), "The perimeter is", "m", "perimeter");
    d.answer = 2 * (l + b);
    d.family = "perimeter";
  } else {
    d.linear = "multiply(n0,n1)|";
    d.annotated = "multiply(" + N(l) + ", " + N(b) + ")";
    Step(d.derivation, '*', Lit(l, "length"), Lit(b, "breadth"), "The area is", "square metres",
         "area");
    d.answer = l * b;
    d.family = "area";
  }
  return d;
}

Draft Work(util::SplitMix64& rng, int max_value) {
  Draft d;
  double b = Uniform(rng, 2, 12);
  double per = Uniform(rng, 1, std::max(2, max_value / 4));  // days the new crew needs
  double total = b * per;                                    // worker-days
  // Pick a first crew size that divides the total, other than b.
  std::vector<double> crews;
  for (int a = 2; a <= 30; ++a) {
    if (a != b && std::fmod(total, a) == 0) crews.push_back(a);
  }
  if (crews.empty()) crews.push_back(1);
  double a = Pick(rng, crews);
  double days = total / a;
  d.problem = N(a) + " workers can build a wall in " + N(days) + " days . how many days would " +
              N(b) + " workers take to build the same wall ?";
  d.category = "physics";
  d.linear = "multiply(n0,n1)|divide(#0,n2)|";
  d.annotated = "divide(multiply(" + N(a) + ", " + N(days) + "), " + N(b) + ")";
  Step(d.derivation, '*', Lit(a, "workers"), Lit(days, "days"), "The wall takes", "worker-days",
       "work");
  Step(d.derivation, '/', Ref(0), Lit(b, "new_workers"), "With " + N(b) + " workers it takes",
       "days", "new_days");
  d.answer = per;
  d.family = "work";
  return d;
}

Draft Profit(util::SplitMix64& rng, int max_value) {
  Draft d;
  double cost = 20 * Uniform(rng, 1, std::max(2, max_value / 2));
  double p = 5 * Uniform(rng, 1, 10);
  d.problem = "a trader buys an article for rs . " + N(cost) + " and sells it at a profit of " +
              N(p) + " % . what is the selling price ?";
  d.category = "gain";
  d.linear = "multiply(n0,n1)|divide(#0,const_100)|add(n0,#1)|";
  d.annotated = "add(" + N(cost) + ", divide(multiply(" + N(cost) + ", " + N(p) + "), const_100))";
  Step(d.derivation, '*', Lit(cost, "cost"), Lit(p, "percent"), "Cost times the profit rate is", "",
       "scaled");
  Step(d.derivation, '/', Ref(0), Lit(100, ""), "so the profit is", "rupees", "profit");
  Step(d.derivation, '+', Lit(cost, "cost"), Ref(1), "The selling price is", "rupees", "price");
  d.answer = cost + cost * p / 100;
  d.family = "profit";
  return d;
}

}  // namespace

Candidate MakeMathqa(util::SplitMix64& rng, const Knobs& knobs) {
  int steps = Uniform(rng, knobs.min_steps, knobs.max_steps);
  // Fixed-shape families of exactly `steps` operations, plus the chain, which fits any count.
  std::vector<std::function<Draft()>> families = {
      [&] { return ChainDraft(rng, steps, knobs.max_value); }};
  if (steps == 1) families.push_back([&] { return Rectangle(rng, knobs.max_value, false); });
  if (steps == 2) {
    families.push_back([&] { return Percent(rng, knobs.max_value); });
    families.push_back([&] { return Speed(rng, knobs.max_value); });
    families.push_back([&] { return Rectangle(rng, knobs.max_value, true); });
    families.push_back([&] { return Work(rng, knobs.max_value); });
  }
  if (steps == 3) families.push_back([&] { return Profit(rng, knobs.max_value); });
  Draft draft = families[rng.Below(families.size())]();

  // Five options: the answer and four near-misses, in a seeded order.
  std::vector<double> values = {draft.answer};
  for (double v : NearMisses(draft.derivation, draft.answer, 4, rng)) values.push_back(v);
  std::vector<int> order = util::SeededPermutation(5, rng.Next(), draft.problem);
  static const char* kLower[] = {"a", "b", "c", "d", "e"};
  static const char* kUpper[] = {"A", "B", "C", "D", "E"};
  std::string options, correct, upper;
  std::vector<double> shown;
  Candidate c;
  for (int i = 0; i < 5; ++i) {
    double v = values[order[i]];
    shown.push_back(v);
    options += std::string(i ? " , " : "") + kLower[i] + " ) " + N(v);
    if (order[i] == 0) {
      correct = kLower[i];
      upper = kUpper[i];
    }
    c.derivation.choices.letters.push_back(kUpper[i]);
  }
  c.item.key = NormalizeForSplit(draft.problem);
  c.item.steps = steps;
  c.item.family = draft.family;
  if (DrawLookupDrill(knobs, c.item.key)) {
    // An option-lookup drill: the same options and answer, asked for directly, in MathQA's spacing.
    draft.problem = util::ToLower(LookupDrillQuestion(N(draft.answer)));
    draft.problem.insert(draft.problem.size() - 1, " ");
    draft.derivation.steps.clear();
    draft.annotated = draft.linear = "";
    c.item.steps = 0;
    c.item.family = "lookup";
  }
  c.derivation.steps = draft.derivation.steps;
  c.derivation.choices.values = shown;
  c.derivation.answer = upper;
  c.derivation.answer_note = N(draft.answer) + " is option (" + upper + ").";
  c.derivation.value_text = N(draft.answer);

  // Rationale in MathQA's style: the quoted worked solution, then "answer : c".
  std::vector<double> step_values = Evaluate(c.derivation);
  std::string rationale;
  for (size_t i = 0; i < c.derivation.steps.size(); ++i) {
    const CalcStep& s = c.derivation.steps[i];
    rationale += Tokenise((s.lead.empty() ? "" : s.lead + " ") + ShownExpression(s, step_values) +
                          " = " + N(step_values[i]) + (s.unit.empty() ? "" : " " + s.unit) + ".") +
                 " ";
  }
  c.item.gold = upper;
  c.item.record["Problem"] = draft.problem;
  c.item.record["Rationale"] = "\"" + rationale + "answer : " + correct + "\"";
  c.item.record["options"] = options;
  c.item.record["correct"] = correct;
  c.item.record["annotated_formula"] = draft.annotated;
  c.item.record["linear_formula"] = draft.linear;
  c.item.record["category"] = draft.category;
  nlohmann::ordered_json processed = nlohmann::ordered_json::array();
  for (double v : shown) {
    // test.json writes integral options as integers ([129, 130, ...]).
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
      processed.push_back(static_cast<long long>(v));
    } else {
      processed.push_back(v);
    }
  }
  c.item.record["processed_options"] = processed;
  return c;
}

}  // namespace tasks::synth::internal
