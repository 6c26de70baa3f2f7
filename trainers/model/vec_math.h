// Vector helpers shared by the hand-written CPU kernels (decode_kernels.cc, train_kernels.cc):
// GCC vector types, an exp that vectorises (libm's expf is scalar, and softmax/SiLU call it once
// per element), and lane reductions. Everything is always_inline so that each caller's
// target("avx512f"/"avx2") clone gets its own instruction selection; no torch here.
#pragma once

#include <cstdint>

// The helpers pass 32-byte vectors by value; they are always inlined, so the "AVX vector return
// without AVX changes the ABI" note for the generic (non-AVX) builds of the kernels does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace trainers::kernels {

using Vec8 = float __attribute__((vector_size(32)));
using Vec16 = float __attribute__((vector_size(64)));
using IVec8 = int32_t __attribute__((vector_size(32)));

#define HARNESS_INLINE inline __attribute__((always_inline))

// The instruction-set clones exist on x86 only. Elsewhere (e.g. an aarch64 CUDA host) the "Avx512"
// and "Avx2" variants compile as plain code and are never chosen, so the kernels build everywhere.
#if defined(__x86_64__) || defined(__i386__)
#define HARNESS_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,fma")))
#define HARNESS_TARGET_AVX2 __attribute__((target("avx2,fma")))
inline bool CpuHasAvx512() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("fma");
}
inline bool CpuHasAvx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
#else
#define HARNESS_TARGET_AVX512
#define HARNESS_TARGET_AVX2
inline bool CpuHasAvx512() { return false; }
inline bool CpuHasAvx2() { return false; }
#endif

// Instruction-set level of this CPU, probed once: 2 AVX-512, 1 AVX2+FMA, 0 baseline (or not x86).
inline int CpuLevel() {
  static const int level = CpuHasAvx512() ? 2 : CpuHasAvx2() ? 1 : 0;
  return level;
}

// NAME##Body (always_inline) compiled three times, once per instruction set, and NAME##Any that
// calls the one this CPU runs (no -march=native: the binary must run on any x86-64).
#define HARNESS_VARIANTS(NAME, PARAMS, ARGS)                          \
  HARNESS_TARGET_AVX512 void NAME##Avx512 PARAMS { NAME##Body ARGS; } \
  HARNESS_TARGET_AVX2 void NAME##Avx2 PARAMS { NAME##Body ARGS; }     \
  void NAME##Generic PARAMS { NAME##Body ARGS; }                      \
  void NAME##Any PARAMS {                                             \
    switch (CpuLevel()) {                                             \
      case 2:                                                         \
        NAME##Avx512 ARGS;                                            \
        break;                                                        \
      case 1:                                                         \
        NAME##Avx2 ARGS;                                              \
        break;                                                        \
      default:                                                        \
        NAME##Generic ARGS;                                           \
        break;                                                        \
    }                                                                 \
  }

HARNESS_INLINE Vec8 Load8(const float* p) {
  Vec8 v;
  __builtin_memcpy(&v, p, sizeof(Vec8));
  return v;
}

HARNESS_INLINE void Store8(float* p, Vec8 v) { __builtin_memcpy(p, &v, sizeof(Vec8)); }

HARNESS_INLINE Vec8 Max8(Vec8 a, Vec8 b) { return a > b ? a : b; }

// e^x per lane, Cephes expf's method: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-6
// polynomial, 2^n written into the exponent bits. Within a few ulp of expf for x in [-87, 88];
// below -87 it returns 0 (true e^x < 2e-38 there: negligible next to the softmax's largest term,
// which is 1), above 88 it saturates at e^88 (callers subtract the row maximum first).
HARNESS_INLINE Vec8 Exp8(Vec8 x) {
  const Vec8 hi = Vec8{} + 88.0f, lo = Vec8{} - 87.0f;
  const auto underflow = x < lo;
  x = x > hi ? hi : x;
  x = x < lo ? lo : x;
  const Vec8 t = x * 1.44269504088896341f + 0.5f;
  Vec8 n = __builtin_convertvector(__builtin_convertvector(t, IVec8), Vec8);  // truncation...
  n = n > t ? n - 1.0f : n;                                                   // ...made floor
  const Vec8 r = x - n * 0.693359375f + n * 2.12194440e-4f;                   // ln2 split in two
  Vec8 y = Vec8{} + 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  const IVec8 bits = (__builtin_convertvector(n, IVec8) + 127) << 23;
  Vec8 scale;
  __builtin_memcpy(&scale, &bits, sizeof(Vec8));
  const Vec8 out = y * scale;
  return underflow ? Vec8{} : out;
}

HARNESS_INLINE float Sum8(Vec8 v) {
  const float h0 = v[0] + v[4], h1 = v[1] + v[5], h2 = v[2] + v[6], h3 = v[3] + v[7];
  return (h0 + h2) + (h1 + h3);
}

HARNESS_INLINE float MaxLanes8(Vec8 v) {
  float m = v[0];
  for (int i = 1; i < 8; ++i) m = v[i] > m ? v[i] : m;
  return m;
}

// out[j] = sum of the lanes of a[j], for 8 vectors at once: a transpose-and-add tree (14 shuffles,
// 7 adds) instead of 8 separate horizontal sums.
HARNESS_INLINE Vec8 Sum8x8(const Vec8 a[8]) {
  auto pair = [](Vec8 x, Vec8 y) {
    return __builtin_shufflevector(x, y, 0, 8, 2, 10, 4, 12, 6, 14) +
           __builtin_shufflevector(x, y, 1, 9, 3, 11, 5, 13, 7, 15);
  };
  const Vec8 c01 = pair(a[0], a[1]), c23 = pair(a[2], a[3]), c45 = pair(a[4], a[5]),
             c67 = pair(a[6], a[7]);
  auto quad = [](Vec8 x, Vec8 y) {
    return __builtin_shufflevector(x, y, 0, 1, 8, 9, 4, 5, 12, 13) +
           __builtin_shufflevector(x, y, 2, 3, 10, 11, 6, 7, 14, 15);
  };
  const Vec8 d0 = quad(c01, c23), d1 = quad(c45, c67);  // lanes: [0 1 2 3 | 0 1 2 3] partial sums
  return __builtin_shufflevector(d0, d1, 0, 1, 2, 3, 8, 9, 10, 11) +
         __builtin_shufflevector(d0, d1, 4, 5, 6, 7, 12, 13, 14, 15);
}

}  // namespace trainers::kernels
