// AGIEval (v1 jsonl) and GPQA (CSV columns) generators: multiple-choice reasoning that needs a few
// steps: orderings from pairwise comparisons, chained unit conversions, and multi-step arithmetic.
// Wrong options are near-misses (a neighbour in the ordering, the value one step early, a unit
// slip, the wrong operation), so surface cues do not identify the answer.
#include <algorithm>
#include <cmath>

#include "harness/util/text.h"
#include "tasks/synth/chain.h"
#include "tasks/synth/generators.h"

namespace tasks::synth::internal {

namespace {

std::string N(double v) { return Num(v); }

// A question with its options before the published layout is chosen. options[0] is the answer.
struct McDraft {
  std::string question;
  std::string key;                   // split key: the question's normalised text (a drill keeps its source's)
  std::vector<std::string> options;  // answer first, then the distractors
  std::vector<double> values;        // numeric value of each option; empty for text options
  Derivation derivation;             // steps; answer and choices are filled per layout
  std::string family;
  int steps = 0;
  std::string domain;  // GPQA Subdomain
  // P-CoT body for non-numeric puzzles, given the shown letter of each option.
  std::string (*python)(const McDraft&, const std::vector<std::string>& letters) = nullptr;
  std::vector<std::string> names;          // ordering: everyone, top of the order first
  std::vector<std::pair<int, int>> facts;  // ordering: (higher, lower) index pairs as stated
  int target = 0;                          // ordering: index in `names` of the answer
};

struct Scale {
  const char* more;
  const char* less;
  const char* most;
  const char* least;
};

const std::vector<Scale>& Scales() {
  static const std::vector<Scale> kScales = {{"taller", "shorter", "tallest", "shortest"},
                                             {"older", "younger", "oldest", "youngest"},
                                             {"faster", "slower", "fastest", "slowest"},
                                             {"heavier", "lighter", "heaviest", "lightest"}};
  return kScales;
}

std::string PyString(const std::string& s) {
  return "\"" + util::ReplaceAll(s, "\"", "\\\"") + "\"";
}

// Brute force over every order of the people, as a program would check the stated facts.
std::string OrderingPython(const McDraft& d, const std::vector<std::string>& letters) {
  std::vector<std::string> sorted = d.names;
  std::sort(sorted.begin(), sorted.end());
  std::string names, facts, options;
  for (size_t i = 0; i < sorted.size(); ++i) names += (i ? ", " : "") + PyString(sorted[i]);
  for (size_t i = 0; i < d.facts.size(); ++i) {
    facts += std::string(i ? ", " : "") + "(" + PyString(d.names[d.facts[i].first]) + ", " +
             PyString(d.names[d.facts[i].second]) + ")";
  }
  for (size_t i = 0; i < letters.size(); ++i) {
    options += (i ? ", " : "") + PyString(letters[i]) + ": " + PyString(d.options[i]);
  }
  int from_end = static_cast<int>(d.names.size()) - d.target;
  std::string index = d.target <= 1 ? std::to_string(d.target) : "-" + std::to_string(from_end);
  return "    from itertools import permutations\n"
         "    names = [" +
         names +
         "]\n"
         "    facts = [" +
         facts +
         "]  # (higher, lower)\n"
         "    for order in permutations(names):\n"
         "        if all(order.index(a) < order.index(b) for a, b in facts):\n"
         "            break\n"
         "    options = {" +
         options +
         "}\n"
         "    return [k for k, v in options.items() if v == order[" +
         index + "]][0]";
}

McDraft Ordering(util::SplitMix64& rng, int steps, int n_options) {
  McDraft d;
  const Scale& scale = Pick(rng, Scales());
  std::vector<Person> people = PickPeople(rng, steps + 1);
  for (const auto& p : people) d.names.push_back(p.name);
  // Adjacent pairs of the true order, stated in a random order and direction.
  std::vector<int> order = util::SeededPermutation(steps, rng.Next(), "facts");
  std::string text;
  for (int i : order) {
    d.facts.push_back({i, i + 1});
    if (rng.Below(2) == 0) {
      text += d.names[i] + " is " + scale.more + " than " + d.names[i + 1] + ". ";
    } else {
      text += d.names[i + 1] + " is " + scale.less + " than " + d.names[i] + ". ";
    }
  }
  int last = steps;
  std::vector<std::pair<int, std::string>> asks = {
      {0, std::string("Who is the ") + scale.most + "?"},
      {last, std::string("Who is the ") + scale.least + "?"}};
  if (steps >= 3) {
    asks.push_back({1, std::string("Who is the second ") + scale.most + "?"});
    asks.push_back({last - 1, std::string("Who is the second ") + scale.least + "?"});
  }
  const auto& ask = Pick(rng, asks);
  d.target = ask.first;
  d.question = text + ask.second;
  // Distractors: the people nearest the answer in the true order are the most tempting.
  std::vector<int> others;
  for (int i = 0; i <= last; ++i) {
    if (i != d.target) others.push_back(i);
  }
  std::stable_sort(others.begin(), others.end(),
                   [&](int a, int b) { return std::abs(a - d.target) < std::abs(b - d.target); });
  d.options.push_back(d.names[d.target]);
  for (int i = 0; i < n_options - 1; ++i) d.options.push_back(d.names[others[i]]);
  // One deduction per stated fact, walking down the order.
  std::string chain = d.names[0];
  for (int i = 0; i < steps; ++i) {
    chain += " > " + d.names[i + 1];
    CalcStep s;
    s.text = d.names[i] + " is " + scale.more + " than " + d.names[i + 1] + ", so from " +
             scale.most + " down the order so far is " + chain + ".";
    d.derivation.steps.push_back(s);
  }
  d.family = "ordering";
  d.steps = steps;
  d.domain = "Logic";
  d.python = OrderingPython;
  return d;
}

struct Conversion {
  const char* from;
  double factor;
  const char* to;
};

struct Dimension {
  std::vector<Conversion> conversions;  // from the largest unit down
  std::vector<std::string> containers;  // outermost first: "A shipment has 4 crates."
  const char* measure_verb;             // "weighs"
  const char* total_question;           // "What is the total weight"
};

const std::vector<Dimension>& Dimensions() {
  static const std::vector<Dimension> kDims = {
      {{{"tonnes", 1000, "kilograms"}, {"kilograms", 1000, "grams"}, {"grams", 1000, "milligrams"}},
       {"shipments", "crates", "boxes", "parcels"},
       "weighs",
       "What is the total weight"},
      {{{"kilometres", 1000, "metres"},
        {"metres", 100, "centimetres"},
        {"centimetres", 10, "millimetres"}},
       {"relays", "teams", "runners", "laps"},
       "covers",
       "What is the total distance"},
      {{{"days", 24, "hours"}, {"hours", 60, "minutes"}, {"minutes", 60, "seconds"}},
       {"courses", "modules", "lessons", "sessions"},
       "lasts",
       "What is the total time"}};
  return kDims;
}

std::string Singular(const std::string& plural) { return plural.substr(0, plural.size() - 1); }

// "A crate holds 6 boxes. Each box weighs 3 kilograms. What is the total weight of the crate in
// grams?"
McDraft UnitConversion(util::SplitMix64& rng, int steps, int n_options, int max_value) {
  McDraft d;
  const Dimension& dim = Pick(rng, Dimensions());
  int conversions = std::max(1, std::min<int>(steps, dim.conversions.size()));
  int nesting = steps - conversions;  // multiplications before converting
  int first_unit = Uniform(rng, 0, static_cast<int>(dim.conversions.size()) - conversions);
  std::string unit = dim.conversions[first_unit].from;
  double measure = Uniform(rng, 2, std::max(3, std::min(max_value, 60)));
  std::string text;
  // Containers from the outside in ("A shipment has 4 crates. Each crate ..."); the innermost one
  // carries the measure, so without nesting the whole ("A shipment weighs 3 tonnes") does.
  const int c0 = 0;
  std::vector<double> counts;
  for (int i = 0; i < nesting; ++i) {
    double m = Uniform(rng, 2, 9);
    counts.push_back(m);
    const std::string outer = Singular(dim.containers[c0 + i]);
    text += (i == 0 ? "A " + outer + " has " : "Each " + outer + " has ") + N(m) + " " +
            dim.containers[c0 + i + 1] + ". ";
  }
  const std::string inner = Singular(dim.containers[c0 + nesting]);
  text += (nesting == 0 ? "A " : "Each ") + inner + " " + dim.measure_verb + " " + N(measure) +
          " " + unit + ". ";
  std::string target = dim.conversions[first_unit + conversions - 1].to;
  d.question =
      text + dim.total_question + " of the " + Singular(dim.containers[c0]) + " in " + target + "?";
  // Steps: multiply the counts together with the measure, then convert unit by unit.
  int prev = -1;
  double value = measure;
  std::vector<double> multipliers = counts;
  for (size_t i = 0; i < multipliers.size(); ++i) {
    const double count = multipliers[multipliers.size() - 1 - i];
    value *= count;
    d.derivation.steps.push_back(
        Calc('*', prev >= 0 ? Ref(prev) : Lit(measure, "measure"), Lit(count, "count"),
             "One " + Singular(dim.containers[c0 + nesting - 1 - static_cast<int>(i)]) + " " +
                 dim.measure_verb,
             unit, "total"));
    prev = static_cast<int>(d.derivation.steps.size()) - 1;
  }
  for (int k = 0; k < conversions; ++k) {
    const Conversion& conv = dim.conversions[first_unit + k];
    value *= conv.factor;
    d.derivation.steps.push_back(Calc('*', prev >= 0 ? Ref(prev) : Lit(measure, "measure"),
                                      Lit(conv.factor, ""),
                                      std::string("In ") + conv.to + " that is", conv.to, conv.to));
    prev = static_cast<int>(d.derivation.steps.size()) - 1;
  }
  // Conversion slips rather than off-by-a-few values (43000000003 mg would give itself away): one
  // conversion short or too many, a factor of ten or a hundred off, a wrong factor in the last
  // conversion. Both sides of the answer have enough of them for any drawn rank.
  const double last = dim.conversions[first_unit + conversions - 1].factor;
  const double early = value / last;
  std::vector<double> slips = {early,        value / 10,    value / 100,  value / 1000,
                               early * 100,  early * 60,    early * 24,   early / 10,
                               early / 100,  early / 1000,  value * 10,   value * 100,
                               value * 1000, value * 10000, value * last, value * last * 10};
  // Keep every option an exactly printed integer (util::FormatNumber switches to exponents at
  // 1e15).
  slips.erase(std::remove_if(slips.begin(), slips.end(), [](double v) { return v >= 1e14; }),
              slips.end());
  d.values.push_back(value);
  for (double v : NearMisses(d.derivation, value, n_options - 1, rng, slips)) d.values.push_back(v);
  for (double v : d.values) d.options.push_back(N(v) + " " + target);
  d.family = "unit_conversion";
  d.steps = steps;
  d.domain = "Measurement";
  return d;
}

McDraft Arithmetic(util::SplitMix64& rng, int steps, int n_options, int max_value) {
  McDraft d;
  Chain chain = MakeChain(rng, steps, max_value);
  for (const auto& s : chain.sentences) d.question += s + " ";
  d.question += chain.question;
  d.derivation = chain.derivation;
  d.values.push_back(chain.answer);
  for (double v : NearMisses(d.derivation, chain.answer, n_options - 1, rng)) d.values.push_back(v);
  for (double v : d.values) d.options.push_back(N(v));
  d.family = "arithmetic";
  d.steps = steps;
  d.domain = "Arithmetic";
  return d;
}

McDraft MakeDraft(util::SplitMix64& rng, const Knobs& knobs, int n_options) {
  int steps = Uniform(rng, knobs.min_steps, knobs.max_steps);
  // Orderings need at least as many people as options.
  bool ordering_fits = steps + 1 >= n_options;
  int kinds = ordering_fits ? 3 : 2;
  int kind = static_cast<int>(rng.Below(kinds));
  McDraft d = kind == 0   ? UnitConversion(rng, steps, n_options, knobs.max_value)
              : kind == 1 ? Arithmetic(rng, steps, n_options, knobs.max_value)
                          : Ordering(rng, steps, n_options);
  d.key = NormalizeForSplit(d.question);
  if (DrawLookupDrill(knobs, d.key)) {
    // The same options and answer, asked for directly: no steps, so the solution is the lookup alone.
    d.question = LookupDrillQuestion(d.options[0]);
    d.derivation.steps.clear();
    d.python = nullptr;
    d.family = "lookup";
    d.steps = 0;
  }
  return d;
}

// Fills the derivation's letters, option values and answer for a given shown order of the options.
// shown[i] = index into draft.options of the option shown at letter i.
Derivation WithLetters(const McDraft& d, const std::vector<int>& shown) {
  static const char* kLetters[] = {"A", "B", "C", "D", "E"};
  Derivation out = d.derivation;
  std::string answer_text;
  for (size_t i = 0; i < shown.size(); ++i) {
    out.choices.letters.push_back(kLetters[i]);
    out.choices.texts.push_back(d.options[shown[i]]);
    if (!d.values.empty()) out.choices.values.push_back(d.values[shown[i]]);
    if (shown[i] == 0) out.answer = kLetters[i];
  }
  if (d.python != nullptr) {
    std::vector<std::string> letters;
    McDraft reordered = d;
    reordered.options.clear();
    for (size_t i = 0; i < shown.size(); ++i) {
      letters.push_back(kLetters[i]);
      reordered.options.push_back(d.options[shown[i]]);
    }
    out.python = d.python(reordered, letters);
  }
  out.answer_note = "So the answer is " + d.options[0] + ", which is option (" + out.answer + ").";
  out.value_text = d.options[0];
  return out;
}

}  // namespace

Candidate MakeAgieval(util::SplitMix64& rng, const Knobs& knobs) {
  McDraft d = MakeDraft(rng, knobs, 5);
  std::vector<int> shown = util::SeededPermutation(5, rng.Next(), d.question);
  Candidate c;
  c.derivation = WithLetters(d, shown);
  nlohmann::ordered_json options = nlohmann::ordered_json::array();
  for (size_t i = 0; i < shown.size(); ++i) {
    options.push_back("(" + c.derivation.choices.letters[i] + ")" + d.options[shown[i]]);
  }
  c.item.key = d.key;
  c.item.gold = c.derivation.answer;
  c.item.steps = d.steps;
  c.item.family = d.family;
  c.item.record["passage"] = nullptr;
  c.item.record["question"] = d.question;
  c.item.record["options"] = options;
  c.item.record["label"] = c.derivation.answer;
  c.item.record["answer"] = nullptr;
  c.item.record["other"] = {{"solution", RenderNcot(c.derivation)}};
  return c;
}

Candidate MakeGpqa(util::SplitMix64& rng, const Knobs& knobs) {
  McDraft d = MakeDraft(rng, knobs, 4);
  // The CSV keeps the correct answer in its own column and the loader shuffles the options with
  // util::SeededPermutation(4, shuffle_seed, question with whitespace collapsed). Solutions name
  // the letters of the default shuffle_seed 0, so they agree with the records the loader produces.
  std::vector<int> shown = util::SeededPermutation(4, 0, util::CollapseWhitespace(d.question));
  Candidate c;
  c.derivation = WithLetters(d, shown);
  c.item.key = d.key;
  c.item.gold = c.derivation.answer;
  c.item.steps = d.steps;
  c.item.family = d.family;
  Derivation explanation = d.derivation;
  explanation.answer = d.options[0];
  c.item.record["Question"] = d.question;
  c.item.record["Correct Answer"] = d.options[0];
  c.item.record["Incorrect Answer 1"] = d.options[1];
  c.item.record["Incorrect Answer 2"] = d.options[2];
  c.item.record["Incorrect Answer 3"] = d.options[3];
  c.item.record["Explanation"] = RenderNcot(explanation);
  c.item.record["Subdomain"] = d.domain;
  c.item.record["High-level domain"] = "Synthetic";
  c.item.record["Record ID"] = "";
  return c;
}

}  // namespace tasks::synth::internal
