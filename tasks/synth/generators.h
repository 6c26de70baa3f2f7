// Internal: one candidate-problem maker per task family. The driver (synth.cc) owns seeding, the
// train/test split, deduplication and serialisation; a maker only turns random draws into a
// problem.
#pragma once

#include <string>
#include <vector>

#include "harness/util/hashing.h"
#include "tasks/synth/synth.h"

namespace tasks::synth::internal {

// Knobs resolved against the task's defaults.
struct Knobs {
  int min_steps = 1;
  int max_steps = 3;
  int max_value = 100;
  bool exact_steps = false;  // --steps was given (families that cannot honour it are skipped)
  double lookup_share = 0;   // SynthOptions::lookup_share
  uint64_t seed = 0;         // SynthOptions::seed (per-problem draws that must not touch the stream)
};

// Whether the multiple-choice problem with this split key becomes an option-lookup drill
// (SynthOptions::lookup_share): a draw from the key and the seed alone, so it neither consumes the
// problem stream nor depends on the other problems. False without a draw when the share is 0.
bool DrawLookupDrill(const Knobs& knobs, const std::string& key);
// The question of a drill: "Which option is 36?" (MathQA writes its own lower-cased, spaced form).
std::string LookupDrillQuestion(const std::string& value_text);

// Fills key, gold, steps, family, record and a Derivation the driver renders styles from.
// Code tasks leave the derivation empty and put their own solutions in the item.
struct Candidate {
  SynthItem item;
  Derivation derivation;
  bool has_derivation = true;
  // LiveCodeBench: START's debug trajectories (RenderStyle picks one per problem by tool_share).
  // code_check: the reference program, kDebugHint, the program run on sample 1 in the tool, its output, and
  // the check against the sample output. code_repair: the same with a program whose parameter K slipped to
  // a value that prints another output, then the mismatch noted and the reference program (empty when no
  // nearby K changes sample 1's output). The final fenced block is the reference program in both.
  std::string code_check, code_repair;
};

Candidate MakeGsm8k(util::SplitMix64& rng, const Knobs& knobs);
Candidate MakeSvamp(util::SplitMix64& rng, const Knobs& knobs);
Candidate MakeMathqa(util::SplitMix64& rng, const Knobs& knobs);
Candidate MakeAgieval(util::SplitMix64& rng, const Knobs& knobs);
Candidate MakeGpqa(util::SplitMix64& rng, const Knobs& knobs);
Candidate MakeAime(util::SplitMix64& rng, const Knobs& knobs);
Candidate MakeLiveCodeBench(util::SplitMix64& rng, const Knobs& knobs);

// Small seeded helpers shared by the makers.
int Uniform(util::SplitMix64& rng, int lo, int hi);  // inclusive
template <typename T>
const T& Pick(util::SplitMix64& rng, const std::vector<T>& items) {
  return items[rng.Below(items.size())];
}

}  // namespace tasks::synth::internal
