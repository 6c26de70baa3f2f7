// Internal: the multi-step word-problem engine shared by gsm8k, svamp, mathqa and the arithmetic
// multiple-choice family. A chain is a start quantity followed by K operations, each told as one
// sentence of a story, and recorded as a Derivation step.
#pragma once

#include <string>
#include <vector>

#include "harness/util/hashing.h"
#include "tasks/synth/derivation.h"

namespace tasks::synth::internal {

struct Chain {
  std::vector<std::string> sentences;  // the story, one sentence per stated fact
  std::string question;                // "How many apples does Tom have now?"
  std::string unit;                    // unit of the answer ("apples", "dollars")
  Derivation derivation;               // one calc step per operation
  std::vector<char> ops;               // the operations in order
  std::vector<double> literals;  // the stated numbers, in order of appearance (MathQA n0, n1, ...)
  double answer = 0;
};

// A story with exactly `steps` operations over numbers up to `max_value`.
Chain MakeChain(util::SplitMix64& rng, int steps, int max_value);

// Near-miss wrong values for multiple-choice options: the result one step early, the last step with
// the wrong operation, a unit slip (x10), small off-by-k errors. Distinct, non-negative integers,
// != answer, with the answer's rank among all options drawn uniformly. `preferred`, when given,
// replaces the structured near-misses computed from the derivation.
std::vector<double> NearMisses(const Derivation& d, double answer, int count, util::SplitMix64& rng,
                               const std::vector<double>& preferred = {});

// Vocabulary.
struct Person {
  std::string name;
  std::string subject;     // she / he
  std::string possessive;  // her / his
};
const std::vector<Person>& People();
// Distinct people, in random order.
std::vector<Person> PickPeople(util::SplitMix64& rng, int count);

}  // namespace tasks::synth::internal
