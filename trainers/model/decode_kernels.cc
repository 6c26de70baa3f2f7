#include "trainers/model/decode_kernels.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "trainers/model/vec_math.h"

namespace trainers::kernels {
namespace {

// Register tile: up to Shape::kRows rows of `a` times Shape::kVecs vectors of columns of `b`; each
// k step loads the tile's columns of b once for all rows and broadcasts one value of a per row.
// Shapes per instruction set, chosen so accumulators + b vectors + one broadcast fit the register
// file without spilling inside the k loop: AVX-512 4 x 64 (16 of 32 zmm accumulate), AVX2 6 x 16
// (12 of 16 ymm, the shape BLIS uses on Haswell), generic 4 x 8. GCC vector extensions keep the
// code generation predictable; each body is compiled once per instruction set and chosen at run
// time (no -march=native: the binary runs on any x86-64).
// Rows x vectors of one register tile.
template <int64_t Rows, int64_t Vecs, typename Vector>
struct TileShape {
  static constexpr int64_t kRows = Rows, kVecs = Vecs;
  using V = Vector;
};
using Avx512Shape = TileShape<4, 4, Vec16>;
// The narrower AVX-512 tiles take the columns left after the 64-wide panels (a 32-wide head, a 112-key
// score strip's last 48): 8 x 32 and 8 x 16 (16 and 8 zmm accumulators).
using Avx512HalfShape = TileShape<8, 2, Vec16>;
using Avx512QuarterShape = TileShape<8, 1, Vec16>;
using Avx2Shape = TileShape<6, 2, Vec8>;
using GenericShape = TileShape<4, 1, Vec8>;

template <typename Shape, int64_t R>
inline __attribute__((always_inline)) void TileBody(const float* a, int64_t lda, int64_t ak, int64_t k,
                                                    const float* b, int64_t ldb, float* c,
                                                    int64_t ldc, bool accumulate) {
  using V = typename Shape::V;
  constexpr int64_t kLanes = sizeof(V) / sizeof(float), NV = Shape::kVecs;
  V sum[R][NV];
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t v = 0; v < NV; ++v) {
      if (accumulate) {
        __builtin_memcpy(&sum[r][v], c + r * ldc + kLanes * v, sizeof(V));
      } else {
        sum[r][v] = V{};
      }
    }
  }
  for (int64_t kk = 0; kk < k; ++kk) {
    V row[NV];
    for (int64_t v = 0; v < NV; ++v) {
      __builtin_memcpy(&row[v], b + kk * ldb + kLanes * v, sizeof(V));
    }
    for (int64_t r = 0; r < R; ++r) {
      const float av = a[r * lda + kk * ak];
      for (int64_t v = 0; v < NV; ++v) sum[r][v] += av * row[v];
    }
  }
  for (int64_t r = 0; r < R; ++r) {
    for (int64_t v = 0; v < NV; ++v) {
      __builtin_memcpy(c + r * ldc + kLanes * v, &sum[r][v], sizeof(V));
    }
  }
}

// rows (1..R) at run time -> TileBody with that row count fixed at compile time.
template <typename Shape, int64_t R = Shape::kRows>
inline __attribute__((always_inline)) void TileRows(int64_t rows, const float* a, int64_t lda,
                                                    int64_t ak, int64_t k, const float* b,
                                                    int64_t ldb, float* c, int64_t ldc,
                                                    bool accumulate) {
  if constexpr (R > 1) {
    if (rows < R) {
      TileRows<Shape, R - 1>(rows, a, lda, ak, k, b, ldb, c, ldc, accumulate);
      return;
    }
  }
  TileBody<Shape, R>(a, lda, ak, k, b, ldb, c, ldc, accumulate);
}

HARNESS_TARGET_AVX512 void TileAvx512(int64_t rows, const float* a, int64_t lda, int64_t ak, int64_t k,
                                      const float* b, int64_t ldb, float* c, int64_t ldc,
                                      bool accumulate) {
  TileRows<Avx512Shape>(rows, a, lda, ak, k, b, ldb, c, ldc, accumulate);
}

HARNESS_TARGET_AVX512 void TileAvx512Half(int64_t rows, const float* a, int64_t lda, int64_t ak, int64_t k,
                                          const float* b, int64_t ldb, float* c, int64_t ldc,
                                          bool accumulate) {
  TileRows<Avx512HalfShape>(rows, a, lda, ak, k, b, ldb, c, ldc, accumulate);
}

HARNESS_TARGET_AVX512 void TileAvx512Quarter(int64_t rows, const float* a, int64_t lda, int64_t ak, int64_t k,
                                             const float* b, int64_t ldb, float* c, int64_t ldc,
                                             bool accumulate) {
  TileRows<Avx512QuarterShape>(rows, a, lda, ak, k, b, ldb, c, ldc, accumulate);
}

HARNESS_TARGET_AVX2 void TileAvx2(int64_t rows, const float* a, int64_t lda, int64_t ak, int64_t k,
                                  const float* b, int64_t ldb, float* c, int64_t ldc,
                                  bool accumulate) {
  TileRows<Avx2Shape>(rows, a, lda, ak, k, b, ldb, c, ldc, accumulate);
}

void TileGeneric(int64_t rows, const float* a, int64_t lda, int64_t ak, int64_t k, const float* b, int64_t ldb,
                 float* c, int64_t ldc, bool accumulate) {
  TileRows<GenericShape>(rows, a, lda, ak, k, b, ldb, c, ldc, accumulate);
}

using TileFn = void (*)(int64_t, const float*, int64_t, int64_t, int64_t, const float*, int64_t,
                        float*, int64_t, bool);
struct TileKernel {
  TileFn fn;
  int64_t cols;  // columns per tile (the panel width)
  int64_t rows;  // most rows per tile
};

template <typename Shape>
constexpr TileKernel MakeTile(TileFn fn) {
  return {fn, Shape::kVecs * static_cast<int64_t>(sizeof(typename Shape::V) / sizeof(float)),
          Shape::kRows};
}

constexpr TileKernel kAvx512Tile = MakeTile<Avx512Shape>(TileAvx512),
                     kAvx512HalfTile = MakeTile<Avx512HalfShape>(TileAvx512Half),
                     kAvx512QuarterTile = MakeTile<Avx512QuarterShape>(TileAvx512Quarter),
                     kAvx2Tile = MakeTile<Avx2Shape>(TileAvx2),
                     kGenericTile = MakeTile<GenericShape>(TileGeneric);

// One instruction set's tiles, widest first: a product takes as many columns as it can on each in turn,
// and only the last (fewer than 8) go to plain loops.
struct TileSet {
  TileKernel tiles[4];
  int count;
};
constexpr TileSet kAvx512Tiles{{kAvx512Tile, kAvx512HalfTile, kAvx512QuarterTile, kGenericTile}, 4},
                  kAvx2Tiles{{kAvx2Tile, kGenericTile}, 2}, kGenericTiles{{kGenericTile}, 1};

// The widest tiles this CPU runs.
const TileSet* BestTiles() {
  switch (CpuLevel()) {
    case 2:
      return &kAvx512Tiles;
    case 1:
      return &kAvx2Tiles;
    default:
      return &kGenericTiles;
  }
}

const TileSet*& ActiveTiles() {
  static const TileSet* tiles = BestTiles();
  return tiles;
}

// The last columns (fewer than a tile), any number of rows: plain loops.
void EdgeColumns(const float* a, int64_t lda, int64_t ak, int64_t m, int64_t k, const float* b,
                 int64_t ldb, int64_t cols, float* c, int64_t ldc, bool accumulate) {
  for (int64_t r = 0; r < m; ++r) {
    for (int64_t j = 0; j < cols; ++j) {
      float s = accumulate ? c[r * ldc + j] : 0.0f;
      for (int64_t kk = 0; kk < k; ++kk) s += a[r * lda + kk * ak] * b[kk * ldb + j];
      c[r * ldc + j] = s;
    }
  }
}

}  // namespace

int64_t PanelWidth() { return ActiveTiles()->tiles[0].cols; }

bool UseTileForTesting(const std::string& isa) {
  if (isa == "avx512" && CpuHasAvx512()) {
    ActiveTiles() = &kAvx512Tiles;
  } else if (isa == "avx2" && CpuHasAvx2()) {
    ActiveTiles() = &kAvx2Tiles;
  } else if (isa == "generic") {
    ActiveTiles() = &kGenericTiles;
  } else if (isa == "best") {
    ActiveTiles() = BestTiles();
  } else {
    return false;
  }
  return true;
}

std::vector<float> PackPanels(const float* b, int64_t k, int64_t n) {
  const int64_t width = PanelWidth();
  std::vector<float> packed(k * n);
  float* out = packed.data();
  for (int64_t j0 = 0; j0 < n; j0 += width) {
    const int64_t w = std::min(width, n - j0);
    for (int64_t kk = 0; kk < k; ++kk, out += w) std::copy_n(b + kk * n + j0, w, out);
  }
  return packed;
}

std::vector<float> PackPanelsFromRows(const std::vector<std::pair<const float*, int64_t>>& blocks,
                                      int64_t k) {
  std::vector<const float*> rows;  // row j of the [n, k] weight = column j of b
  for (const auto& [data, count] : blocks) {
    for (int64_t r = 0; r < count; ++r) rows.push_back(data + r * k);
  }
  const int64_t n = static_cast<int64_t>(rows.size()), width = PanelWidth();
  std::vector<float> packed(k * n);
  for (int64_t j0 = 0; j0 < n; j0 += width) {
    const int64_t w = std::min(width, n - j0);
    float* panel = packed.data() + j0 * k;
    // 16 values of k per source row at a time, so the panel lines being written stay in L1.
    for (int64_t k0 = 0; k0 < k; k0 += 16) {
      const int64_t k1 = std::min(k, k0 + 16);
      for (int64_t jj = 0; jj < w; ++jj) {
        const float* src = rows[j0 + jj];
        for (int64_t kk = k0; kk < k1; ++kk) panel[kk * w + jj] = src[kk];
      }
    }
  }
  return packed;
}

void MatMulPacked(const float* a, int64_t lda, int64_t m, int64_t k, const float* packed, int64_t n,
                  float* c, int64_t ldc, bool accumulate) {
  // Panel by panel ([k, width], contiguous): it stays in cache while every row block reads it. A
  // panel is an unpacked matrix with row stride `width`; the last, narrower one runs on a narrower tile.
  const int64_t width = PanelWidth();
  for (int64_t j0 = 0; j0 < n; j0 += width) {
    const int64_t w = std::min(width, n - j0);
    MatMulStrided(a, lda, 1, m, k, packed + j0 * k, w, w, c + j0, ldc, accumulate);
  }
}

void MatMulStrided(const float* a, int64_t lda, int64_t ak, int64_t m, int64_t k, const float* b,
                   int64_t ldb, int64_t n, float* c, int64_t ldc, bool accumulate) {
  // Each tile of the active set in turn, widest first, on as many whole column blocks as are left (AVX-512:
  // 64, then 32 for a 32-wide head or a strip's remainder, then 16, then 8), so that narrow products and the
  // last columns still run in registers; fewer than 8 columns are left to EdgeColumns.
  const TileSet& set = *ActiveTiles();
  int64_t j0 = 0;
  for (int t = 0; t < set.count; ++t) {
    const TileKernel& tile = set.tiles[t];
    for (const int64_t end = j0 + (n - j0) / tile.cols * tile.cols; j0 < end; j0 += tile.cols) {
      for (int64_t r0 = 0; r0 < m; r0 += tile.rows) {
        tile.fn(std::min(tile.rows, m - r0), a + r0 * lda, lda, ak, k, b + j0, ldb, c + r0 * ldc + j0, ldc,
                accumulate);
      }
    }
  }
  if (j0 < n) EdgeColumns(a, lda, ak, m, k, b + j0, ldb, n - j0, c + j0, ldc, accumulate);
}

void RmsNorm(const float* x, int64_t n, const float* weight, float eps, float* out) {
  float sum_sq = 0;
  for (int64_t i = 0; i < n; ++i) sum_sq += x[i] * x[i];
  const float inv = 1.0f / std::sqrt(sum_sq / static_cast<float>(n) + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = weight[i] * (x[i] * inv);
}

void RotateHalf(float* x, int64_t d, const float* cos_half, const float* sin_half) {
  const int64_t h = d / 2;
  for (int64_t i = 0; i < h; ++i) {
    const float x1 = x[i], x2 = x[i + h];
    x[i] = x1 * cos_half[i] - x2 * sin_half[i];
    x[i + h] = x2 * cos_half[i] + x1 * sin_half[i];
  }
}

namespace {

// Any d and group size: one head at a time in plain loops.
void AttendScalar(const float* q, int64_t groups, const float* keys, const float* values,
                  int64_t len, int64_t d, int64_t stride, float* scores, float* out) {
  for (int64_t g = 0; g < groups; ++g, q += d, out += d) {
    float best = -INFINITY;
    for (int64_t s = 0; s < len; ++s) {
      const float* key = keys + s * stride;
      float dot = 0;
      for (int64_t i = 0; i < d; ++i) dot += q[i] * key[i];
      scores[s] = dot;
      best = std::max(best, dot);
    }
    float total = 0;
    for (int64_t s = 0; s < len; ++s) {
      scores[s] = std::exp(scores[s] - best);
      total += scores[s];
    }
    const float inv = 1.0f / total;
    std::fill(out, out + d, 0.0f);
    for (int64_t s = 0; s < len; ++s) {
      const float p = scores[s] * inv;
      const float* value = values + s * stride;
      for (int64_t i = 0; i < d; ++i) out[i] += p * value[i];
    }
  }
}

// One query head, d = 8 * NV (NV known at compile time so q and the output accumulators stay in
// registers). Scores eight keys at a time, summed lane-wise by one transpose tree (Sum8x8), and
// exponentiated eight at a time (Exp8). (Sharing each key/value load across a GQA group measured
// slower: with run-time head counts the per-head accumulators no longer stay in registers.)
template <int NV>
inline __attribute__((always_inline)) void AttendHead(const float* q, const float* keys,
                                                      const float* values, int64_t len,
                                                      int64_t stride, float* scores, float* out) {
  Vec8 qv[NV];
  for (int v = 0; v < NV; ++v) qv[v] = Load8(q + 8 * v);
  Vec8 best8 = Vec8{} - INFINITY;
  int64_t s = 0;
  for (; s + 8 <= len; s += 8) {
    Vec8 acc[8];
    for (int j = 0; j < 8; ++j) {
      const float* key = keys + (s + j) * stride;
      acc[j] = qv[0] * Load8(key);
      for (int v = 1; v < NV; ++v) acc[j] += qv[v] * Load8(key + 8 * v);
    }
    const Vec8 dots = Sum8x8(acc);
    Store8(scores + s, dots);
    best8 = Max8(best8, dots);
  }
  float best = MaxLanes8(best8);
  for (; s < len; ++s) {
    const float* key = keys + s * stride;
    Vec8 acc = qv[0] * Load8(key);
    for (int v = 1; v < NV; ++v) acc += qv[v] * Load8(key + 8 * v);
    scores[s] = Sum8(acc);
    best = std::max(best, scores[s]);
  }
  Vec8 total8{};
  s = 0;
  for (; s + 8 <= len; s += 8) {
    const Vec8 e = Exp8(Load8(scores + s) - best);
    Store8(scores + s, e);
    total8 += e;
  }
  float total = Sum8(total8);
  for (; s < len; ++s) total += scores[s] = std::exp(scores[s] - best);
  // Two keys per iteration into two accumulator sets: with one set, each accumulator's chain of
  // dependent FMAs (latency 4) limits the loop to one key per 4 cycles when NV is small.
  Vec8 acc[2][NV] = {};
  for (s = 0; s + 2 <= len; s += 2) {
    const float p0 = scores[s], p1 = scores[s + 1];
    const float* value = values + s * stride;
    for (int v = 0; v < NV; ++v) {
      acc[0][v] += p0 * Load8(value + 8 * v);
      acc[1][v] += p1 * Load8(value + stride + 8 * v);
    }
  }
  if (s < len) {
    const float p = scores[s];
    for (int v = 0; v < NV; ++v) acc[0][v] += p * Load8(values + s * stride + 8 * v);
  }
  const float inv = 1.0f / total;
  for (int v = 0; v < NV; ++v) Store8(out + 8 * v, (acc[0][v] + acc[1][v]) * inv);
}

inline __attribute__((always_inline)) void AttendBody(const float* q, int64_t groups,
                                                      const float* keys, const float* values,
                                                      int64_t len, int64_t d, int64_t stride,
                                                      float* scores, float* out) {
  for (int64_t g = 0; g < groups; ++g, q += d, out += d) {
    switch (d) {
      case 8:
        AttendHead<1>(q, keys, values, len, stride, scores, out);
        break;
      case 16:
        AttendHead<2>(q, keys, values, len, stride, scores, out);
        break;
      case 32:
        AttendHead<4>(q, keys, values, len, stride, scores, out);
        break;
      case 64:
        AttendHead<8>(q, keys, values, len, stride, scores, out);
        break;
      case 128:
        AttendHead<16>(q, keys, values, len, stride, scores, out);
        break;
      default:
        AttendScalar(q, 1, keys, values, len, d, stride, scores, out);
        break;
    }
  }
}

HARNESS_VARIANTS(Attend,
                 (const float* q, int64_t groups, const float* keys, const float* values,
                  int64_t len, int64_t d, int64_t stride, float* scores, float* out),
                 (q, groups, keys, values, len, d, stride, scores, out))

}  // namespace

void AttendGroup(const float* q, int64_t groups, const float* keys, const float* values,
                 int64_t len, int64_t d, int64_t stride, float* scores, float* out) {
  (d % 8 == 0 ? AttendAny : AttendScalar)(q, groups, keys, values, len, d, stride, scores, out);
}

}  // namespace trainers::kernels
