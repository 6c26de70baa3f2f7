// AIME generator: harder multi-step integer problems with answers 0..999, in the Qwen2.5-Math
// aime24 layout {id, problem, solution, answer (zero-padded string), url, question}. Families: a
// linear recurrence reduced mod 1000 (its length is the --steps knob), divisor counts,
// inclusion-exclusion.
#include <cmath>
#include <cstdio>
#include <numeric>

#include "harness/util/text.h"
#include "tasks/synth/generators.h"

namespace tasks::synth::internal {

namespace {

std::string N(double v) { return Num(v); }

int Add(Derivation& d, char op, Operand lhs, Operand rhs, const std::string& lead,
        const std::string& var) {
  d.steps.push_back(Calc(op, lhs, rhs, lead, "", var));
  return static_cast<int>(d.steps.size()) - 1;
}

struct AimeDraft {
  std::string problem;
  Derivation derivation;
  double answer = 0;
  std::string family;
  int steps = 0;
};

// a_0 = a, a_n = b * a_(n-1) + c; the remainder of a_K mod 1000.
AimeDraft Recurrence(util::SplitMix64& rng, int k, int max_value) {
  AimeDraft d;
  double a = Uniform(rng, 2, std::max(3, max_value));
  double b = Uniform(rng, 2, 9);
  double c = Uniform(rng, 1, std::max(2, max_value / 3));
  d.problem = "A sequence is defined by $a_0 = " + N(a) + "$ and $a_n = " + N(b) + "a_{n-1} + " +
              N(c) + "$ for $n \\ge 1$. Find the remainder when $a_{" + std::to_string(k) +
              "}$ is divided by $1000$.";
  Operand prev = Lit(a, "a");
  for (int i = 1; i <= k; ++i) {
    int scaled =
        Add(d.derivation, '*', prev, Lit(b, "b"), "For $a_{" + std::to_string(i) + "}$:", "scaled");
    int next = Add(d.derivation, '+', Ref(scaled), Lit(c, "c"),
                   "so $a_{" + std::to_string(i) + "}$ =", "a_next");
    prev = Ref(next);
  }
  Add(d.derivation, '%', prev, Lit(1000, ""), "The remainder is", "answer");
  std::vector<double> values = Evaluate(d.derivation);
  d.answer = values.back();
  d.family = "recurrence";
  d.steps = k;
  return d;
}

// Number of positive divisors of p^x * q^y * r^z.
AimeDraft Divisors(util::SplitMix64& rng) {
  AimeDraft d;
  static const std::vector<int> kPrimes = {2, 3, 5, 7, 11, 13};
  std::vector<int> order =
      util::SeededPermutation(static_cast<int>(kPrimes.size()), rng.Next(), "primes");
  int count = Uniform(rng, 2, 3);
  std::vector<int> primes, exps;
  double n = 1;
  for (int i = 0; i < count; ++i) {
    int p = kPrimes[order[i]];
    int e = Uniform(rng, 1, 6);
    // Keep N below 10^12 so it prints exactly.
    while (e > 1 && n * std::pow(p, e) > 1e12) --e;
    primes.push_back(p);
    exps.push_back(e);
    n *= std::pow(p, e);
  }
  std::string factored;
  for (int i = 0; i < count; ++i) {
    factored +=
        (i ? " \\cdot " : "") + std::to_string(primes[i]) + "^{" + std::to_string(exps[i]) + "}";
  }
  d.problem = "How many positive integers divide $" + N(n) + "$?";
  CalcStep fact;
  fact.text = "Factor: $" + N(n) + " = " + factored + "$.";
  d.derivation.steps.push_back(fact);
  std::vector<int> plus_one;
  for (int i = 0; i < count; ++i) {
    plus_one.push_back(Add(d.derivation, '+', Lit(exps[i], "e" + std::to_string(i + 1)), Lit(1, ""),
                           "The exponent of " + std::to_string(primes[i]) + " gives", "choices"));
  }
  int product = plus_one[0];
  for (int i = 1; i < count; ++i) {
    product = Add(d.derivation, '*', Ref(product), Ref(plus_one[i]),
                  "Multiplying the choices:", "divisors");
  }
  d.answer = Evaluate(d.derivation)[product];
  d.family = "divisors";
  d.steps = 2 * count - 1;
  return d;
}

// How many of 1..N are divisible by a or b (N a multiple of lcm(a, b)).
AimeDraft InclusionExclusion(util::SplitMix64& rng) {
  AimeDraft d;
  int a = Uniform(rng, 2, 13), b = Uniform(rng, 2, 13);
  if (b == a) b = a + 1;
  long l = std::lcm<long>(a, b);
  // answer = m * (l/a + l/b - 1) must stay below 1000.
  long per = l / a + l / b - 1;
  long m = Uniform(rng, 1, static_cast<int>(std::max<long>(1, 999 / per)));
  double n = static_cast<double>(l * m);
  d.problem = "How many integers from $1$ to $" + N(n) + "$, inclusive, are divisible by $" +
              std::to_string(a) + "$ or by $" + std::to_string(b) + "$?";
  int by_a = Add(d.derivation, '/', Lit(n, "n"), Lit(a, "a"),
                 "Multiples of " + std::to_string(a) + ":", "by_a");
  int by_b = Add(d.derivation, '/', Lit(n, "n"), Lit(b, "b"),
                 "Multiples of " + std::to_string(b) + ":", "by_b");
  int both = Add(d.derivation, '/', Lit(n, "n"), Lit(static_cast<double>(l), "lcm"),
                 "Multiples of both, that is of " + std::to_string(l) + ":", "by_both");
  int sum = Add(d.derivation, '+', Ref(by_a), Ref(by_b), "Adding the first two counts:", "either");
  int result = Add(d.derivation, '-', Ref(sum), Ref(both), "Removing the double count:", "count");
  d.answer = Evaluate(d.derivation)[result];
  d.family = "inclusion_exclusion";
  d.steps = 5;
  return d;
}

std::string ZeroPadded(double v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%03d", static_cast<int>(v));
  return buf;
}

}  // namespace

Candidate MakeAime(util::SplitMix64& rng, const Knobs& knobs) {
  AimeDraft d;
  // --steps sets the recurrence length; by default the three families are mixed.
  int family = knobs.exact_steps ? 0 : static_cast<int>(rng.Below(3));
  if (family == 0)
    d = Recurrence(rng, Uniform(rng, knobs.min_steps, knobs.max_steps), knobs.max_value);
  if (family == 1) d = Divisors(rng);
  if (family == 2) d = InclusionExclusion(rng);
  Candidate c;
  c.derivation = d.derivation;
  c.derivation.answer = N(d.answer);
  std::string ncot = RenderNcot(c.derivation);
  // Published AIME solutions close with a boxed answer, which every AIME extractor reads first.
  std::string solution = ncot.substr(0, ncot.rfind('\n') + 1) + "The answer is $\\boxed{" +
                         c.derivation.answer + "}$.";
  c.item.key = NormalizeForSplit(d.problem);
  c.item.gold = c.derivation.answer;
  c.item.steps = d.steps;
  c.item.family = d.family;
  c.item.record["id"] = 0;  // assigned once the item is kept
  c.item.record["problem"] = d.problem;
  c.item.record["solution"] = solution;
  c.item.record["answer"] = ZeroPadded(d.answer);
  c.item.record["url"] = "";
  c.item.record["question"] = d.problem;
  return c;
}

}  // namespace tasks::synth::internal
