// Throughput of answer extraction + equivalence (completions/s) on ~1000 synthetic completions of
// every answer kind, 200-3000 characters each, and on 2000 short GSM8K-style solutions (the scoring
// benchmark's shape). The project's default preset is measured beside
// lm-eval's flexible-extract filter (the baseline) on the same GSM8K/GPQA subset, in the same run.
//
//   cmake --build build -j2 --target extraction_bench && build/bench/extraction_bench
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "harness/util/hashing.h"
#include "tasks/extract/extract.h"

namespace {

struct Item {
  tasks::Record record;
  std::string completion;
};

tasks::Record MakeRecord(const std::string& task, tasks::AnswerKind kind, std::vector<std::string> choices,
                         const std::string& gold) {
  tasks::Record r;
  r.task = task;
  r.kind = kind;
  r.choices = std::move(choices);
  r.gold = gold;
  return r;
}

// Reasoning-like filler with numbers, equations and the occasional option letter, up to `length`.
std::string Filler(util::SplitMix64& rng, size_t length) {
  static const char* const kSentences[] = {
      "She buys %d apples at $%d each, so she spends %d * %d = $%d. ",
      "Next, we subtract %d from %d to get %d remaining items. ",
      "Let x be the number of hours; then %dx = %d, so x = %d. ",
      "Option (%c) cannot be right because the total would exceed %d. ",
      "We know that \\frac{%d}{%d} of the %d students passed. ",
      "Checking again: %d + %d = %d, which matches the condition. ",
  };
  std::string out;
  char buf[200];
  while (out.size() < length) {
    int a = static_cast<int>(rng.Below(90)) + 2, b = static_cast<int>(rng.Below(40)) + 2;
    int which = static_cast<int>(rng.Below(6));
    if (which == 3) {
      std::snprintf(buf, sizeof buf, kSentences[which], static_cast<char>('A' + rng.Below(4)), a * b);
    } else {
      std::snprintf(buf, sizeof buf, kSentences[which], a, b, a * b, b, a * b);
    }
    out += buf;
    if (rng.Below(5) == 0) out += "\n\n";
  }
  return out;
}

std::vector<Item> MakeItems(bool numeric_and_gpqa_only) {
  util::SplitMix64 rng(7);
  std::vector<Item> items;
  const std::vector<std::string> gpqa_choices = {"Boron", "Carbon dioxide", "12 eV", "None of the above"};
  const std::vector<std::string> mathqa_choices = {"38", "27.675", "30", "none of these", "12 m"};
  for (int i = 0; i < 1000; ++i) {
    size_t length = 200 + rng.Below(2800);
    std::string body = Filler(rng, length);
    int kind = static_cast<int>(rng.Below(numeric_and_gpqa_only ? 2 : 6));
    int n = static_cast<int>(rng.Below(1000));
    std::string gold = std::to_string(n);
    int style = static_cast<int>(rng.Below(4));
    Item item;
    switch (kind) {
      case 0: {  // GSM8K
        item.record = MakeRecord("gsm8k", tasks::AnswerKind::kNumeric, {}, gold);
        const char* tails[] = {"The answer is %d.", "#### %d", "**Answer:** $%d", "\\boxed{%d}"};
        char buf[64];
        std::snprintf(buf, sizeof buf, tails[style], n);
        item.completion = body + buf;
        break;
      }
      case 1: {  // GPQA
        char letter = static_cast<char>('A' + rng.Below(4));
        item.record = MakeRecord("gpqa", tasks::AnswerKind::kChoice, gpqa_choices, std::string(1, letter));
        const char* tails[] = {"Answer: %c", "The answer is (%c).", "**Answer:** %c", "\\boxed{%c}"};
        char buf[64];
        std::snprintf(buf, sizeof buf, tails[style], letter);
        item.completion = body + buf;
        break;
      }
      case 2: {  // MathQA
        char letter = static_cast<char>('a' + rng.Below(5));
        item.record = MakeRecord("mathqa", tasks::AnswerKind::kChoice, mathqa_choices,
                                 std::string(1, static_cast<char>(letter - 'a' + 'A')));
        item.completion = body + "so the answer is " + letter + " )";
        break;
      }
      case 3: {  // AGIEval multi-answer
        item.record = MakeRecord("agieval", tasks::AnswerKind::kChoiceSet, {"a", "b", "c", "d"}, "AD");
        item.completion = body + "The answer is A, D";
        break;
      }
      case 4: {  // AGIEval math cloze
        item.record = MakeRecord("agieval", tasks::AnswerKind::kCloze, {}, "\\frac{1}{" + gold + "}");
        item.completion = body + "The final answer is $\\boxed{\\dfrac{1}{" + gold + "}}$.";
        break;
      }
      default: {  // AIME
        item.record = MakeRecord("aime", tasks::AnswerKind::kInteger, {}, gold);
        item.completion = body + "\\[ \\boxed{" + (n < 100 ? "0" : "") + gold + "} \\]";
        break;
      }
    }
    items.push_back(std::move(item));
  }
  return items;
}

// GSM8K-style solutions as `harness score`'s benchmark scores them (scripts/make_score_predictions.py):
// 150-450 characters of worked steps with <<a*b=c>> calculator annotations; 80% end in "The answer is
// N." and the rest stop without a marker, which sends them to the last-number fallback.
std::vector<Item> MakeShortGsm8kItems() {
  util::SplitMix64 rng(11);
  std::vector<Item> items;
  for (int i = 0; i < 2000; ++i) {
    std::string body;
    const size_t length = 150 + rng.Below(300);
    int value = 0;
    while (body.size() < length) {
      const int a = static_cast<int>(rng.Below(90)) + 2, b = static_cast<int>(rng.Below(40)) + 2;
      value = a * b;
      body += "She buys " + std::to_string(a) + " boxes of " + std::to_string(b) + " pens, so " +
              std::to_string(a) + " * " + std::to_string(b) + " = <<" + std::to_string(a) + "*" + std::to_string(b) +
              "=" + std::to_string(value) + ">>" + std::to_string(value) + " pens.\n";
    }
    Item item;
    item.record = MakeRecord("gsm8k", tasks::AnswerKind::kNumeric, {}, std::to_string(value));
    item.completion = rng.Below(5) == 0 ? body : body + "The answer is " + std::to_string(value) + ".";
    items.push_back(std::move(item));
  }
  return items;
}

void Run(benchmark::State& state, const std::vector<Item>& items, const std::string& preset) {
  size_t correct = 0;
  for (auto _ : state) {
    for (const Item& item : items) {
      auto answer = tasks::extract::Extract(item.completion, item.record, preset);
      correct += tasks::extract::IsEquivalent(answer, item.record) ? 1 : 0;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(items.size()));
  state.counters["completions/s"] =
      benchmark::Counter(static_cast<double>(items.size()), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["accuracy"] = static_cast<double>(correct) / (state.iterations() * items.size());
}

void BM_Default_AllKinds(benchmark::State& state) {
  static const auto items = MakeItems(false);
  Run(state, items, "default");
}

void BM_Default_Gsm8kGpqa(benchmark::State& state) {
  static const auto items = MakeItems(true);
  Run(state, items, "default");
}

void BM_Default_Gsm8kShort(benchmark::State& state) {
  static const auto items = MakeShortGsm8kItems();
  Run(state, items, "default");
}

// Baseline: lm-eval's flexible-extract (gsm8k) / multi_choice_regex chain (GPQA) on the same items.
void BM_LmEvalFlexible_Gsm8kGpqa(benchmark::State& state) {
  static const auto items = MakeItems(true);
  Run(state, items, "lm-eval-flexible");
}

BENCHMARK(BM_Default_AllKinds)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Default_Gsm8kGpqa)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Default_Gsm8kShort)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LmEvalFlexible_Gsm8kGpqa)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
