#include "harness/util/hashing.h"

#include <algorithm>
#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#include "harness/util/files.h"

namespace util {

namespace {

constexpr std::array<uint32_t, 64> kRoundConstants = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

inline uint32_t RotateRight(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

void CompressBlockPortable(std::array<uint32_t, 8>& h, const unsigned char* block) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) {
    w[i] = (uint32_t(block[4 * i]) << 24) | (uint32_t(block[4 * i + 1]) << 16) |
           (uint32_t(block[4 * i + 2]) << 8) | uint32_t(block[4 * i + 3]);
  }
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = RotateRight(w[i - 15], 7) ^ RotateRight(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = RotateRight(w[i - 2], 17) ^ RotateRight(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int i = 0; i < 64; ++i) {
    uint32_t s1 = RotateRight(e, 6) ^ RotateRight(e, 11) ^ RotateRight(e, 25);
    uint32_t choose = (e & f) ^ (~e & g);
    uint32_t t1 = hh + s1 + choose + kRoundConstants[i] + w[i];
    uint32_t s0 = RotateRight(a, 2) ^ RotateRight(a, 13) ^ RotateRight(a, 22);
    uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = s0 + majority;
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}


#if defined(__x86_64__)
// The x86 SHA extensions (Intel, "New Instructions Supporting the Secure Hash Algorithm on Intel
// Architecture Processors", 2013): SHA256RNDS2 does two rounds on the state held as ABEF/CDGH,
// SHA256MSG1/MSG2 the message schedule's σ0 and σ1 parts, four words at a time.
__attribute__((target("sha,sse4.1,ssse3"))) void CompressBlocksShaNi(std::array<uint32_t, 8>& h,
                                                                     const unsigned char* data, size_t blocks) {
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  // h[0..3] = A B C D and h[4..7] = E F G H (lowest lane first) → ABEF and CDGH (highest lane first).
  __m128i dcba = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&h[0]));
  __m128i hgfe = _mm_loadu_si128(reinterpret_cast<const __m128i*>(&h[4]));
  const __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1);
  const __m128i efgh = _mm_shuffle_epi32(hgfe, 0x1B);
  __m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
  for (size_t b = 0; b < blocks; ++b, data += 64) {
    const __m128i abef_before = abef, cdgh_before = cdgh;
    __m128i w[4];  // w[i % 4]: message words 4i .. 4i+3
    for (int i = 0; i < 16; ++i) {
      if (i < 4) {
        w[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(data + 16 * i)), byte_swap);
      } else {
        // W[t] = σ1(W[t−2]) + W[t−7] + σ0(W[t−15]) + W[t−16] for t = 4i .. 4i+3.
        __m128i x = _mm_sha256msg1_epu32(w[i % 4], w[(i + 1) % 4]);
        x = _mm_add_epi32(x, _mm_alignr_epi8(w[(i + 3) % 4], w[(i + 2) % 4], 4));
        w[i % 4] = _mm_sha256msg2_epu32(x, w[(i + 3) % 4]);
      }
      __m128i k = _mm_add_epi32(w[i % 4], _mm_loadu_si128(reinterpret_cast<const __m128i*>(&kRoundConstants[4 * i])));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, k);
      k = _mm_shuffle_epi32(k, 0x0E);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, k);
    }
    abef = _mm_add_epi32(abef, abef_before);
    cdgh = _mm_add_epi32(cdgh, cdgh_before);
  }
  const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&h[0]), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(&h[4]), _mm_alignr_epi8(dchg, feba, 8));
}

bool CpuHasShaExtensions() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  const bool sha = (b >> 29) & 1;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  const bool ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
  return sha && ssse3 && sse41;
}
#endif

bool& ForcePortable() {
  static bool force = false;
  return force;
}

bool UseShaExtensions() {
#if defined(__x86_64__)
  static const bool cpu_has = CpuHasShaExtensions();
  return cpu_has && !ForcePortable();
#else
  return false;
#endif
}

void CompressBlocks(std::array<uint32_t, 8>& h, const unsigned char* data, size_t blocks) {
#if defined(__x86_64__)
  if (UseShaExtensions()) {
    CompressBlocksShaNi(h, data, blocks);
    return;
  }
#endif
  for (size_t i = 0; i < blocks; ++i) CompressBlockPortable(h, data + 64 * i);
}

}  // namespace

namespace {

constexpr std::array<uint32_t, 8> kSha256Initial = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// Pads after the last bytes (`rest` of them, under one block, following `full_blocks` blocks already
// compressed: 0x80, zeros, the bit length as a 64-bit big-endian integer) and returns the hex digest.
std::string FinishSha256(std::array<uint32_t, 8>& h, const unsigned char* rest_bytes, size_t rest, uint64_t total) {
  unsigned char tail[128] = {0};
  std::memcpy(tail, rest_bytes, rest);
  tail[rest] = 0x80;
  size_t tail_len = rest + 1 + 8 <= 64 ? 64 : 128;
  uint64_t bit_len = total * 8;
  for (int i = 0; i < 8; ++i) tail[tail_len - 1 - i] = static_cast<unsigned char>(bit_len >> (8 * i));
  CompressBlocks(h, tail, tail_len / 64);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (uint32_t word : h) {
    for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(word >> shift) & 0xF];
  }
  return out;
}

}  // namespace

std::string Sha256Hex(std::string_view bytes) {
  std::array<uint32_t, 8> h = kSha256Initial;
  const size_t full = bytes.size() / 64;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  CompressBlocks(h, data, full);
  return FinishSha256(h, data + 64 * full, bytes.size() - 64 * full, bytes.size());
}

std::string Sha256File(const std::string& path) {
  // Streamed: hashing a many-megabyte predictions file beside the scoring must not allocate (and have
  // the kernel zero) a copy of it. `carry` holds the bytes of a block split between chunks.
  std::array<uint32_t, 8> h = kSha256Initial;
  unsigned char carry[64];
  size_t held = 0;
  uint64_t total = 0;
  ForEachFileChunk(path, [&](std::string_view chunk) {
    total += chunk.size();
    const auto* data = reinterpret_cast<const unsigned char*>(chunk.data());
    size_t n = chunk.size();
    if (held > 0) {
      const size_t take = std::min(64 - held, n);
      std::memcpy(carry + held, data, take);
      held += take;
      data += take;
      n -= take;
      if (held < 64) return;
      CompressBlocks(h, carry, 1);
      held = 0;
    }
    const size_t full = n / 64;
    CompressBlocks(h, data, full);
    std::memcpy(carry, data + 64 * full, n - 64 * full);
    held = n - 64 * full;
  });
  return FinishSha256(h, carry, held, total);
}

bool Sha256UsesCpuExtensions() { return UseShaExtensions(); }

void Sha256ForcePortableForTesting(bool portable) { ForcePortable() = portable; }

uint64_t Fnv1a64(std::string_view bytes, uint64_t seed) {
  uint64_t hash = 0xcbf29ce484222325ULL ^ seed;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::Below(uint64_t bound) {
  // Rejection sampling removes the bias of a plain modulo.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t x;
  do { x = Next(); } while (x >= limit);
  return x % bound;
}

double SplitMix64::Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

std::vector<int> SeededPermutation(int n, uint64_t seed, std::string_view content) {
  std::vector<int> perm(n);
  for (int i = 0; i < n; ++i) perm[i] = i;
  SplitMix64 rng(seed ^ Fnv1a64(content));
  for (int i = n - 1; i > 0; --i) {
    int j = static_cast<int>(rng.Below(static_cast<uint64_t>(i) + 1));
    std::swap(perm[i], perm[j]);
  }
  return perm;
}

}  // namespace util
