// Content hashes and seeded randomness that do not depend on the standard library's implementation,
// so that shuffles, ids and step keys are identical on every machine and compiler.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace util {

// SHA-256 (FIPS 180-4) of bytes, as 64 lowercase hex digits.
std::string Sha256Hex(std::string_view bytes);
// SHA-256 of a file's contents.
std::string Sha256File(const std::string& path);
// Whether SHA-256 runs on the CPU's SHA extensions (x86 SHA-NI, checked at run time) rather than the
// portable code; tests force the portable path to compare the two.
bool Sha256UsesCpuExtensions();
void Sha256ForcePortableForTesting(bool portable);

// 64-bit FNV-1a, for cheap stable keys.
uint64_t Fnv1a64(std::string_view bytes, uint64_t seed = 0);

// SplitMix64: a tiny, well-mixed, portable PRNG. Used for every seeded choice outside torch.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform integer in [0, bound), bound > 0, without modulo bias.
  uint64_t Below(uint64_t bound);
  // Uniform double in [0, 1).
  double Uniform();

 private:
  uint64_t state_;
};

// A permutation of 0..n-1 determined only by (seed, content): Fisher-Yates driven by
// SplitMix64(seed ^ Fnv1a64(content)). The same record always gets the same order.
std::vector<int> SeededPermutation(int n, uint64_t seed, std::string_view content);

}  // namespace util
