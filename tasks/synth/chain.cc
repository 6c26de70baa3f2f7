// The multi-step word-problem engine: two story frames (objects changing hands, a shopping bill)
// whose sentences each add one arithmetic operation, recorded step by step for every solution
// style.
#include "tasks/synth/chain.h"

#include <algorithm>
#include <cmath>

#include "harness/util/text.h"
#include "tasks/synth/generators.h"

namespace tasks::synth::internal {

namespace {

std::string N(double v) { return Num(v); }

std::string PyName(std::string s) {
  for (char& c : s) {
    if (c == ' ' || c == '-' || c == '\'') c = '_';
  }
  return util::ToLower(s);
}

void AddStep(Chain& c, char op, Operand lhs, Operand rhs, const std::string& lead,
             const std::string& unit, const std::string& var) {
  if (lhs.ref < 0) c.literals.push_back(lhs.literal);
  if (rhs.ref < 0) c.literals.push_back(rhs.literal);
  c.derivation.steps.push_back(Calc(op, lhs, rhs, lead, unit, var));
  c.ops.push_back(op);
}

double Apply(char op, double a, double b) {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    default:
      return 0;
  }
}

const std::vector<std::string>& CountItems() {
  static const std::vector<std::string> kItems = {
      "apples", "marbles",  "stickers", "books", "pencils", "cookies", "stamps",  "shells",
      "cards",  "toy cars", "balloons", "coins", "beads",   "crayons", "buttons", "seeds"};
  return kItems;
}

const std::vector<std::string>& ShopItems() {
  static const std::vector<std::string> kItems = {"notebooks", "pens",    "mugs",    "plants",
                                                  "scarves",   "candles", "puzzles", "lamps",
                                                  "towels",    "baskets", "kites",   "posters"};
  return kItems;
}

std::string FractionWord(int b) {
  switch (b) {
    case 2:
      return "half";
    case 3:
      return "a third";
    case 4:
      return "a quarter";
    default:
      return "a fifth";
  }
}

std::vector<int> Divisors(double x) {
  std::vector<int> out;
  long v = static_cast<long>(x);
  for (int b = 2; b <= 5; ++b) {
    if (v % b == 0 && v / b >= 1) out.push_back(b);
  }
  return out;
}

// Objects changing hands: "Ava has 12 marbles. Ben has 3 times as many marbles as Ava. ..."
Chain CountFrame(util::SplitMix64& rng, int steps, int max_value) {
  Chain c;
  std::string items = Pick(rng, CountItems());
  std::string py = PyName(items);
  std::vector<Person> people = PickPeople(rng, std::min<int>(steps + 2, People().size()));
  size_t next_person = 1;
  Person holder = people[0];
  auto other = [&]() {
    const Person& p = people[next_person % people.size()];
    if (p.name == holder.name) return people[(next_person + 1) % people.size()];
    return p;
  };
  const double cap = std::max(1000.0, max_value * 20.0);
  double x = Uniform(rng, 2, max_value);
  c.sentences.push_back(holder.name + " has " + N(x) + " " + items + ".");
  Operand current = Lit(x, py);
  bool changed_hands_last = false;
  for (int k = 0; k < steps; ++k) {
    std::vector<char> candidates = {'+'};
    if (x >= 2) candidates.push_back('-');
    if (x * 2 <= cap) candidates.push_back('*');
    if (!Divisors(x).empty()) candidates.push_back('/');
    char op = Pick(rng, candidates);
    int step_index = static_cast<int>(c.derivation.steps.size());
    std::string var = PyName(holder.name) + "_" + py;
    if (op == '+') {
      double b = Uniform(rng, 1, max_value);
      Person giver = other();
      int form = static_cast<int>(rng.Below(3));
      if (form == 0)
        c.sentences.push_back("Then " + holder.name + " buys " + N(b) + " more " + items + ".");
      if (form == 1) c.sentences.push_back(holder.name + " finds " + N(b) + " more " + items + ".");
      if (form == 2) {
        c.sentences.push_back(giver.name + " gives " + holder.name + " " + N(b) + " more " + items +
                              ".");
      }
      AddStep(c, '+', current, Lit(b, "more"), holder.name + " now has", items, var);
      changed_hands_last = false;
    } else if (op == '-') {
      double b = Uniform(rng, 1, static_cast<int>(std::min<double>(x - 1, max_value)));
      Person taker = other();
      int form = static_cast<int>(rng.Below(3));
      if (form == 0)
        c.sentences.push_back(holder.name + " gives " + N(b) + " " + items + " to " + taker.name +
                              ".");
      if (form == 1) c.sentences.push_back(holder.name + " loses " + N(b) + " " + items + ".");
      if (form == 2)
        c.sentences.push_back(holder.name + " uses " + N(b) + " of the " + items + ".");
      AddStep(c, '-', current, Lit(b, "used"), holder.name + " is left with", items, var);
      changed_hands_last = false;
    } else if (op == '*') {
      int hi = std::max(2, std::min(6, static_cast<int>(cap / x)));
      double b = Uniform(rng, 2, hi);
      Person next = other();
      ++next_person;
      c.sentences.push_back(next.name + " has " + N(b) + " times as many " + items + " as " +
                            holder.name + ".");
      holder = next;
      AddStep(c, '*', current, Lit(b, "times"), holder.name + " has", items,
              PyName(holder.name) + "_" + py);
      changed_hands_last = true;
    } else {
      double b = Pick(rng, Divisors(x));
      Person next = other();
      ++next_person;
      c.sentences.push_back(next.name + " has " + FractionWord(static_cast<int>(b)) + " as many " +
                            items + " as " + holder.name + ".");
      holder = next;
      AddStep(c, '/', current, Lit(b, "parts"), holder.name + " has", items,
              PyName(holder.name) + "_" + py);
      changed_hands_last = true;
    }
    x = Apply(op, x, c.derivation.steps.back().rhs.literal);
    current = Ref(step_index);
  }
  c.question =
      "How many " + items + " does " + holder.name + (changed_hands_last ? " have?" : " have now?");
  c.unit = items;
  c.answer = x;
  return c;
}

// A bill: "Mia buys 4 mugs that cost $7 each. She uses a coupon worth $5. ..."
Chain ShopFrame(util::SplitMix64& rng, int steps, int max_value) {
  Chain c;
  Person p = PickPeople(rng, 1)[0];
  std::string items = Pick(rng, ShopItems());
  double count = Uniform(rng, 2, std::max(2, std::min(12, max_value)));
  double price = Uniform(rng, 1, std::max(2, max_value / 4));
  c.sentences.push_back(p.name + " buys " + N(count) + " " + items + " that cost $" + N(price) +
                        " each.");
  AddStep(c, '*', Lit(count, PyName(items)), Lit(price, "price"), "The " + items + " cost",
          "dollars", "cost");
  double x = count * price;
  std::string question = "How many dollars does " + p.name + " spend in total?";
  const double cap = std::max(1000.0, max_value * 20.0);
  for (int k = 1; k < steps; ++k) {
    bool last = k == steps - 1;
    std::vector<char> candidates = {'+'};
    if (x >= 2) candidates.push_back('-');
    if (x * 2 <= cap) candidates.push_back('*');
    // Splitting the bill changes what the total means, so it can only be the final operation.
    if (last && !Divisors(x).empty()) candidates.push_back('/');
    char op = Pick(rng, candidates);
    int prev = static_cast<int>(c.derivation.steps.size()) - 1;
    double b = 0;
    if (op == '+') {
      static const std::vector<std::string> kExtras = {"delivery", "a gift bag", "gift wrapping",
                                                       "a card"};
      b = Uniform(rng, 1, std::max(2, max_value / 2));
      std::string subject = p.subject == "she" ? "She" : "He";
      c.sentences.push_back(subject + " also pays $" + N(b) + " for " + Pick(rng, kExtras) + ".");
      AddStep(c, '+', Ref(prev), Lit(b, "extra"), "Altogether " + p.name + " spends", "dollars",
              "total");
    } else if (op == '-') {
      b = Uniform(rng, 1, static_cast<int>(std::min<double>(x - 1, std::max(2, max_value))));
      c.sentences.push_back(p.name + " uses a coupon worth $" + N(b) + ".");
      AddStep(c, '-', Ref(prev), Lit(b, "coupon"), "After the coupon, " + p.name + " pays",
              "dollars", "total");
    } else if (op == '*') {
      int hi = std::max(2, std::min(5, static_cast<int>(cap / x)));
      b = Uniform(rng, 2, hi);
      c.sentences.push_back(p.name + " makes the same purchase " + N(b) + " times this month.");
      AddStep(c, '*', Ref(prev), Lit(b, "times"), "Over the month " + p.name + " spends", "dollars",
              "total");
    } else {
      b = Pick(rng, Divisors(x));
      c.sentences.push_back(p.name + " splits the cost equally among " + N(b) +
                            " friends, including " +
                            (p.possessive == "her" ? "herself" : "himself") + ".");
      AddStep(c, '/', Ref(prev), Lit(b, "friends"), "Each friend pays", "dollars", "share");
      question = "How many dollars does each friend pay?";
    }
    x = Apply(op, x, b);
  }
  c.question = question;
  c.unit = "dollars";
  c.answer = x;
  return c;
}

}  // namespace

const std::vector<Person>& People() {
  static const std::vector<Person> kPeople = {
      {"Ava", "she", "her"},   {"Ben", "he", "his"},    {"Carla", "she", "her"},
      {"Dev", "he", "his"},    {"Elena", "she", "her"}, {"Farid", "he", "his"},
      {"Grace", "she", "her"}, {"Hugo", "he", "his"},   {"Imani", "she", "her"},
      {"Jonah", "he", "his"},  {"Keiko", "she", "her"}, {"Liam", "he", "his"},
      {"Maya", "she", "her"},  {"Nikhil", "he", "his"}, {"Olga", "she", "her"},
      {"Pedro", "he", "his"},  {"Quinn", "she", "her"}, {"Rafael", "he", "his"},
      {"Sara", "she", "her"},  {"Tomas", "he", "his"},  {"Uma", "she", "her"},
      {"Victor", "he", "his"}, {"Wen", "she", "her"},   {"Yusuf", "he", "his"}};
  return kPeople;
}

std::vector<Person> PickPeople(util::SplitMix64& rng, int count) {
  std::vector<int> order =
      util::SeededPermutation(static_cast<int>(People().size()), rng.Next(), "people");
  std::vector<Person> out;
  for (int i = 0; i < count && i < static_cast<int>(order.size()); ++i)
    out.push_back(People()[order[i]]);
  return out;
}

Chain MakeChain(util::SplitMix64& rng, int steps, int max_value) {
  return rng.Below(3) == 0 ? ShopFrame(rng, steps, max_value) : CountFrame(rng, steps, max_value);
}

std::vector<double> NearMisses(const Derivation& d, double answer, int count, util::SplitMix64& rng,
                               const std::vector<double>& preferred) {
  std::vector<double> values = Evaluate(d);
  std::vector<double> pool = preferred;
  int last = -1, before = -1;
  for (int i = 0; i < static_cast<int>(d.steps.size()); ++i) {
    if (d.steps[i].op != 0) {
      before = last;
      last = i;
    }
  }
  // Off by one step: stopping before the last operation.
  if (preferred.empty() && before >= 0) pool.push_back(values[before]);
  if (preferred.empty() && last >= 0) {
    const CalcStep& s = d.steps[last];
    double a = OperandValue(s.lhs, values), b = OperandValue(s.rhs, values);
    if (before < 0) pool.push_back(a);  // one step: the starting number itself
    // Wrong operation in the last step.
    switch (s.op) {
      case '+':
        pool.push_back(a - b);
        break;
      case '-':
        pool.push_back(a + b);
        break;
      case '*':
        pool.push_back(a + b);
        if (b != 0 && std::fmod(a, b) == 0) pool.push_back(a / b);
        break;
      case '/':
        pool.push_back(a * b);
        break;
      default:
        break;
    }
  }
  // A unit slip (x10 or /10) joins the structured near-misses.
  if (!preferred.empty()) {
    // The caller's list already holds its own slips.
  } else if (std::fmod(answer, 10) == 0 && answer != 0 && rng.Below(2) == 0) {
    pool.push_back(answer / 10);
  } else {
    pool.push_back(answer * 10);
  }
  // The answer's rank among the options is drawn uniformly: `below` distractors are smaller than
  // it. Without this, slips on both sides would make the answer almost never the smallest or
  // largest option, itself a cue a model could learn.
  int below = static_cast<int>(rng.Below(static_cast<uint64_t>(count) + 1));
  int above = count - below;
  std::vector<double> out;
  auto fresh = [&](double v) {
    if (v < 0 || std::fabs(v - answer) < 1e-9 || std::fabs(v - std::round(v)) > 1e-9) return false;
    for (double o : out) {
      if (std::fabs(o - v) < 1e-9) return false;
    }
    return true;
  };
  auto take = [&](double v) {
    if (!fresh(v)) return;
    if (v < answer && below > 0) {
      --below;
      out.push_back(v);
    } else if (v > answer && above > 0) {
      --above;
      out.push_back(v);
    }
  };
  std::vector<int> order =
      util::SeededPermutation(static_cast<int>(pool.size()), rng.Next(), "near");
  for (int i : order) take(pool[i]);
  if (!preferred.empty()) {
    // The caller's slips are the plausible ones (off-by-a-few is not, for unit conversions): when
    // one side runs short, more of them from the other side beat small slips.
    for (int i : order) {
      if (static_cast<int>(out.size()) < count && fresh(pool[i])) out.push_back(pool[i]);
    }
    int missing = count - static_cast<int>(out.size());
    below = std::min<int>(missing, static_cast<int>(answer));
    above = missing - below;
  }
  // Small arithmetic slips fill each side's quota; a side that runs out (answers near 0) passes its
  // quota to the other side.
  int k = 1 + static_cast<int>(rng.Below(3));
  for (int guard = 0; (below > 0 || above > 0) && guard < 100000; ++guard, ++k) {
    if (below > 0 && answer - k < 0) {
      above += below;
      below = 0;
    }
    take(answer - k);
    take(answer + k);
  }
  return out;
}

}  // namespace tasks::synth::internal
