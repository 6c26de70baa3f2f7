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
};

// Fills key, gold, steps, family, record and a Derivation the driver renders styles from.
// Code tasks leave the derivation empty and put their own solutions in the item.
struct Candidate {
  SynthItem item;
  Derivation derivation;
  bool has_derivation = true;
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
