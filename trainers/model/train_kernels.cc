#include "trainers/model/train_kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "trainers/model/decode_kernels.h"
#include "trainers/model/vec_math.h"

namespace trainers::kernels {
namespace {

// out = x rotated (HF rotate-half): out[i] = x[i] c[i] - x[i+h] s[i], out[i+h] = x[i+h] c[i+h] +
// x[i] s[i+h].
inline void Rotate(const float* x, const float* c, const float* s, int64_t d, float* out) {
  const int64_t h = d / 2;
  for (int64_t i = 0; i < h; ++i) {
    out[i] = x[i] * c[i] - x[i + h] * s[i];
    out[i + h] = x[i + h] * c[i + h] + x[i] * s[i + h];
  }
}

// The transpose of Rotate (its gradient).
inline void RotateBack(const float* dy, const float* c, const float* s, int64_t d, float* dx) {
  const int64_t h = d / 2;
  for (int64_t i = 0; i < h; ++i) {
    dx[i] = dy[i] * c[i] + dy[i + h] * s[i + h];
    dx[i + h] = dy[i + h] * c[i + h] - dy[i] * s[i];
  }
}

// One softmax row: entries [0, limit) take part (minus those with valid[s] == 0), [limit, n) are 0.
HARNESS_INLINE void SoftmaxRowBody(float* row, int64_t limit, int64_t n, const uint8_t* valid) {
  if (valid != nullptr) {
    for (int64_t s = 0; s < limit; ++s) {
      if (valid[s] == 0) row[s] = -INFINITY;
    }
  }
  Vec8 best8 = Vec8{} - INFINITY;
  int64_t s = 0;
  for (; s + 8 <= limit; s += 8) best8 = Max8(best8, Load8(row + s));
  float best = MaxLanes8(best8);
  for (; s < limit; ++s) best = row[s] > best ? row[s] : best;
  if (best == -INFINITY) {  // nothing to attend to: PaddedQueryForward/Backward own this row
    for (s = 0; s < n; ++s) row[s] = 0.0f;
    return;
  }
  Vec8 total8{};
  for (s = 0; s + 8 <= limit; s += 8) {
    const Vec8 e = Exp8(Load8(row + s) - best);  // masked (-inf) entries underflow to 0
    Store8(row + s, e);
    total8 += e;
  }
  float total = Sum8(total8);
  for (; s < limit; ++s) total += row[s] = std::exp(row[s] - best);
  const float inv = 1.0f / total;
  for (s = 0; s < limit; ++s) row[s] *= inv;
  for (; s < n; ++s) row[s] = 0.0f;
}

HARNESS_INLINE void CausalSoftmaxBody(float* scores, int64_t B, int64_t nkv, int64_t G, int64_t T,
                                      const uint8_t* key_valid) {
  for (int64_t bk = 0; bk < B * nkv; ++bk) {
    const uint8_t* valid = key_valid == nullptr ? nullptr : key_valid + (bk / nkv) * T;
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t g = 0; g < G; ++g) SoftmaxRowBody(scores + ((bk * T + t) * G + g) * T, t + 1, T, valid);
    }
  }
}
HARNESS_VARIANTS(CausalSoftmax,
                 (float* scores, int64_t B, int64_t nkv, int64_t G, int64_t T,
                  const uint8_t* key_valid),
                 (scores, B, nkv, G, T, key_valid))

// Row (t, g) of each [T*G, T] block: entries [0, t] as the softmax backward, the rest set to 0
// (they may hold anything: the causal products never computed them).
HARNESS_INLINE void CausalSoftmaxBackwardBody(const float* p, float* grad, int64_t BK, int64_t G, int64_t T) {
  for (int64_t r = 0; r < BK * T * G; ++r) {
    const float* pr = p + r * T;
    float* gr = grad + r * T;
    const int64_t limit = (r / G) % T + 1;
    Vec8 dot8{};
    int64_t i = 0;
    for (; i + 8 <= limit; i += 8) dot8 += Load8(pr + i) * Load8(gr + i);
    float dot = Sum8(dot8);
    for (; i < limit; ++i) dot += pr[i] * gr[i];
    for (i = 0; i + 8 <= limit; i += 8) Store8(gr + i, Load8(pr + i) * (Load8(gr + i) - dot));
    for (; i < limit; ++i) gr[i] = pr[i] * (gr[i] - dot);
    for (; i < T; ++i) gr[i] = 0.0f;
  }
}
HARNESS_VARIANTS(CausalSoftmaxBackward, (const float* p, float* grad, int64_t BK, int64_t G, int64_t T),
                 (p, grad, BK, G, T))

HARNESS_INLINE void RmsNormForwardBody(const float* x, const float* w, int64_t rows, int64_t n,
                                       float eps, float* y, float* inv) {
  for (int64_t r = 0; r < rows; ++r, x += n, y += n) {
    Vec8 sq8{};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
      const Vec8 v = Load8(x + i);
      sq8 += v * v;
    }
    float sq = Sum8(sq8);
    for (; i < n; ++i) sq += x[i] * x[i];
    const float k = 1.0f / std::sqrt(sq / static_cast<float>(n) + eps);
    inv[r] = k;
    for (i = 0; i + 8 <= n; i += 8) Store8(y + i, Load8(w + i) * (Load8(x + i) * k));
    for (; i < n; ++i) y[i] = w[i] * (x[i] * k);
  }
}
HARNESS_VARIANTS(RmsNormForward,
                 (const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y,
                  float* inv),
                 (x, w, rows, n, eps, y, inv))

// dx = k g - x k^3 mean(g x) with g = dy w, k = inv[r]; dw += dy x k.
HARNESS_INLINE void RmsNormBackwardBody(const float* dy, const float* x, const float* w,
                                        const float* inv, int64_t rows, int64_t n, float* dx,
                                        float* dw) {
  for (int64_t r = 0; r < rows; ++r, dy += n, x += n, dx += n) {
    const float k = inv[r];
    Vec8 dot8{};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) dot8 += Load8(dy + i) * Load8(w + i) * Load8(x + i);
    float dot = Sum8(dot8);
    for (; i < n; ++i) dot += dy[i] * w[i] * x[i];
    const float c = k * k * k * dot / static_cast<float>(n);
    for (i = 0; i + 8 <= n; i += 8) {
      const Vec8 xv = Load8(x + i), dyv = Load8(dy + i);
      Store8(dx + i, k * (dyv * Load8(w + i)) - xv * c);
      Store8(dw + i, Load8(dw + i) + dyv * xv * k);
    }
    for (; i < n; ++i) {
      dx[i] = k * (dy[i] * w[i]) - x[i] * c;
      dw[i] += dy[i] * x[i] * k;
    }
  }
}
HARNESS_VARIANTS(RmsNormBackward,
                 (const float* dy, const float* x, const float* w, const float* inv, int64_t rows,
                  int64_t n, float* dx, float* dw),
                 (dy, x, w, inv, rows, n, dx, dw))

HARNESS_INLINE void SwiGluForwardBody(const float* gu, int64_t rows, int64_t inter, float* out) {
  for (int64_t r = 0; r < rows; ++r, gu += 2 * inter, out += inter) {
    const float* up = gu + inter;
    int64_t i = 0;
    for (; i + 8 <= inter; i += 8) {
      const Vec8 g = Load8(gu + i);
      Store8(out + i, g / (1.0f + Exp8(-g)) * Load8(up + i));
    }
    for (; i < inter; ++i) out[i] = gu[i] / (1.0f + std::exp(-gu[i])) * up[i];
  }
}
HARNESS_VARIANTS(SwiGluForward, (const float* gu, int64_t rows, int64_t inter, float* out),
                 (gu, rows, inter, out))

// d gate = dout up sig (1 + g (1 - sig)), d up = dout g sig, with sig = sigmoid(gate).
HARNESS_INLINE void SwiGluBackwardBody(const float* dout, const float* gu, int64_t rows,
                                       int64_t inter, float* dgu) {
  for (int64_t r = 0; r < rows; ++r, dout += inter, gu += 2 * inter, dgu += 2 * inter) {
    const float* up = gu + inter;
    int64_t i = 0;
    for (; i + 8 <= inter; i += 8) {
      const Vec8 g = Load8(gu + i), u = Load8(up + i), d = Load8(dout + i);
      const Vec8 sig = 1.0f / (1.0f + Exp8(-g));
      Store8(dgu + i, d * u * sig * (1.0f + g * (1.0f - sig)));
      Store8(dgu + inter + i, d * g * sig);
    }
    for (; i < inter; ++i) {
      const float g = gu[i], sig = 1.0f / (1.0f + std::exp(-g));
      dgu[i] = dout[i] * up[i] * sig * (1.0f + g * (1.0f - sig));
      dgu[inter + i] = dout[i] * g * sig;
    }
  }
}
HARNESS_VARIANTS(SwiGluBackward,
                 (const float* dout, const float* gu, int64_t rows, int64_t inter, float* dgu),
                 (dout, gu, rows, inter, dgu))


// C[M, N] += P Q with P(i, t) = p[i pi + t pt] (a row-major matrix, or with pi = 1 a transposed one),
// Q(t, j) = q[t ldq + j] and C(i, j) = c[i ldc + j]: tiles of MR rows by NV vectors of 8 columns held in
// registers over the whole sum over t, then 8-column tiles, then single columns.
template <int MR, int NV>
HARNESS_INLINE void ProductTile(const float* p, int64_t pi, int64_t pt, const float* q, int64_t ldq, float* c,
                                int64_t ldc, int64_t T) {
  Vec8 acc[MR][NV];
  for (int i = 0; i < MR; ++i) {
    for (int v = 0; v < NV; ++v) acc[i][v] = Load8(c + i * ldc + 8 * v);
  }
  for (int64_t t = 0; t < T; ++t) {
    Vec8 qv[NV];
    for (int v = 0; v < NV; ++v) qv[v] = Load8(q + t * ldq + 8 * v);
    for (int i = 0; i < MR; ++i) {
      const float a = p[i * pi + t * pt];
      for (int v = 0; v < NV; ++v) acc[i][v] += a * qv[v];
    }
  }
  for (int i = 0; i < MR; ++i) {
    for (int v = 0; v < NV; ++v) Store8(c + i * ldc + 8 * v, acc[i][v]);
  }
}

template <int NV>
HARNESS_INLINE void ProductColumns(int64_t M, int64_t T, const float* p, int64_t pi, int64_t pt, const float* q,
                                   int64_t ldq, float* c, int64_t ldc) {
  int64_t i = 0;
  for (; i + 4 <= M; i += 4) ProductTile<4, NV>(p + i * pi, pi, pt, q, ldq, c + i * ldc, ldc, T);
  for (; i < M; ++i) ProductTile<1, NV>(p + i * pi, pi, pt, q, ldq, c + i * ldc, ldc, T);
}

HARNESS_INLINE void ProductAdd(int64_t M, int64_t N, int64_t T, const float* p, int64_t pi, int64_t pt,
                               const float* q, int64_t ldq, float* c, int64_t ldc) {
  int64_t j = 0;
  for (; j + 32 <= N; j += 32) ProductColumns<4>(M, T, p, pi, pt, q + j, ldq, c + j, ldc);
  for (; j + 8 <= N; j += 8) ProductColumns<1>(M, T, p, pi, pt, q + j, ldq, c + j, ldc);
  for (; j < N; ++j) {
    for (int64_t i = 0; i < M; ++i) {
      float sum = c[i * ldc + j];
      for (int64_t t = 0; t < T; ++t) sum += p[i * pi + t * pt] * q[t * ldq + j];
      c[i * ldc + j] = sum;
    }
  }
}

// c[i ldc + j] = bias[j] + a[i] . wt[j] (bias may be null: 0) for rows of a [M, T] (lda apart) and of wt [N, T]: a narrow output
// layer (one Q-value, an actor's few outputs) as dot products, 8 rows' at a time summed across lanes together.
HARNESS_INLINE void RowDots(int64_t M, int64_t N, int64_t T, const float* a, int64_t lda, const float* wt,
                            const float* bias, float* c, int64_t ldc) {
  for (int64_t j = 0; j < N; ++j) {
    const float* w = wt + j * T;
    int64_t i = 0;
    for (; i + 8 <= M; i += 8) {
      Vec8 acc[8] = {};
      int64_t t = 0;
      for (; t + 8 <= T; t += 8) {
        const Vec8 w8 = Load8(w + t);
        for (int k = 0; k < 8; ++k) acc[k] += Load8(a + (i + k) * lda + t) * w8;
      }
      float sums[8];
      Store8(sums, Sum8x8(acc));
      for (int k = 0; k < 8; ++k) {
        float sum = sums[k];
        for (int64_t u = t; u < T; ++u) sum += a[(i + k) * lda + u] * w[u];
        c[(i + k) * ldc + j] = (bias ? bias[j] : 0.0f) + sum;
      }
    }
    for (; i < M; ++i) {
      float sum = 0.0f;
      for (int64_t t = 0; t < T; ++t) sum += a[i * lda + t] * w[t];
      c[i * ldc + j] = (bias ? bias[j] : 0.0f) + sum;
    }
  }
}

// W [rows, cols] row-major as its transpose [cols, rows].
inline std::vector<float> Transposed(const float* w, int64_t rows, int64_t cols) {
  std::vector<float> t(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) t[static_cast<size_t>(j * rows + i)] = w[i * cols + j];
  }
  return t;
}

// Rows per block of the ensemble MLP: at width 64 a block's activation and gradient buffers are 8 KB each.
constexpr int64_t kMlpBlock = 32;

// In place on a row z of width n: xhat = (z - mean) rstd (two passes, biased variance), written to `saved`
// when not null; z = max(0, xhat g + b). Returns rstd.
HARNESS_INLINE float NormaliseRelu(float* z, int64_t n, const float* g, const float* b, float eps, float* saved) {
  const float inv_n = 1.0f / static_cast<float>(n);
  Vec8 s8{};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) s8 += Load8(z + i);
  float sum = Sum8(s8);
  for (; i < n; ++i) sum += z[i];
  const float mu = sum * inv_n;
  Vec8 q8{};
  for (i = 0; i + 8 <= n; i += 8) {
    const Vec8 d = Load8(z + i) - mu;
    q8 += d * d;
  }
  float q = Sum8(q8);
  for (; i < n; ++i) q += (z[i] - mu) * (z[i] - mu);
  const float k = 1.0f / std::sqrt(q * inv_n + eps);
  for (i = 0; i + 8 <= n; i += 8) {
    const Vec8 xh = (Load8(z + i) - mu) * k;
    if (saved != nullptr) Store8(saved + i, xh);
    Store8(z + i, Max8(xh * Load8(g + i) + Load8(b + i), Vec8{}));
  }
  for (; i < n; ++i) {
    const float xh = (z[i] - mu) * k;
    if (saved != nullptr) saved[i] = xh;
    z[i] = std::max(xh * g[i] + b[i], 0.0f);
  }
  return k;
}

HARNESS_INLINE void EnsembleMlpForwardBody(const EnsembleMlpShape& s, const EnsembleMlpMember& p, const float* x,
                                           int64_t r0, int64_t r1, float eps, float* out, float* xhat, float* rstd) {
  const int64_t H = s.hidden;
  std::vector<float> buffers(static_cast<size_t>(2 * kMlpBlock * H));
  const std::vector<float> out_t = Transposed(p.w[s.layers], H, s.out);
  for (int64_t r = r0; r < r1; r += kMlpBlock) {
    const int64_t m = std::min(kMlpBlock, r1 - r);
    const float* a = x + r * s.in;
    int64_t width = s.in;
    for (int64_t l = 0; l < s.layers; ++l) {
      float* z = buffers.data() + (l % 2) * kMlpBlock * H;  // the other buffer holds a
      for (int64_t i = 0; i < m; ++i) std::memcpy(z + i * H, p.c[l], sizeof(float) * H);
      ProductAdd(m, H, width, a, width, 1, p.w[l], H, z, H);
      for (int64_t i = 0; i < m; ++i) {
        const int64_t row = l * s.rows + r + i;
        const float k = NormaliseRelu(z + i * H, H, p.g[l], p.b[l], eps, xhat ? xhat + row * H : nullptr);
        if (rstd != nullptr) rstd[row] = k;
      }
      a = z;
      width = H;
    }
    RowDots(m, s.out, H, a, H, out_t.data(), p.c[s.layers], out + r * s.out, s.out);
  }
}
HARNESS_VARIANTS(EnsembleMlpForward,
                 (const EnsembleMlpShape& s, const EnsembleMlpMember& p, const float* x, int64_t r0, int64_t r1,
                  float eps, float* out, float* xhat, float* rstd),
                 (s, p, x, r0, r1, eps, out, xhat, rstd))

// In place on a row: dy (the gradient of a = max(0, xhat g + b)) becomes dz, the gradient of the layer's
// pre-activation z: da = dy where a > 0 (0 at 0); dg += da xhat, db += da; dz = rstd (da g - mean(da g) -
// xhat mean(da g xhat)); dc += dz.
HARNESS_INLINE void NormaliseReluBackward(float* d, const float* xh, float k, int64_t n, const float* g,
                                          const float* b, float* dc, float* dg, float* db) {
  const float inv_n = 1.0f / static_cast<float>(n);
  Vec8 s1{}, s2{};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const Vec8 x8 = Load8(xh + i), g8 = Load8(g + i);
    const Vec8 da = x8 * g8 + Load8(b + i) > Vec8{} ? Load8(d + i) : Vec8{};
    Store8(dg + i, Load8(dg + i) + da * x8);
    Store8(db + i, Load8(db + i) + da);
    const Vec8 dxh = da * g8;
    s1 += dxh;
    s2 += dxh * x8;
    Store8(d + i, dxh);
  }
  float t1 = Sum8(s1), t2 = Sum8(s2);
  for (; i < n; ++i) {
    const float da = xh[i] * g[i] + b[i] > 0.0f ? d[i] : 0.0f;
    dg[i] += da * xh[i];
    db[i] += da;
    d[i] = da * g[i];
    t1 += d[i];
    t2 += d[i] * xh[i];
  }
  const float c1 = t1 * inv_n, c2 = t2 * inv_n;
  for (i = 0; i + 8 <= n; i += 8) {
    const Vec8 dz = (Load8(d + i) - c1 - Load8(xh + i) * c2) * k;
    Store8(d + i, dz);
    Store8(dc + i, Load8(dc + i) + dz);
  }
  for (; i < n; ++i) {
    d[i] = (d[i] - c1 - xh[i] * c2) * k;
    dc[i] += d[i];
  }
}

// Per block: activations recomputed from xhat; then from the output layer down, each layer's weight
// gradient (a_{l-1}^T dz) and the gradient of its input (dz W^T, on the transposed weights so that both
// operands are row-major).
HARNESS_INLINE void EnsembleMlpBackwardBody(const EnsembleMlpShape& s, const EnsembleMlpMember& p, const float* x,
                                            const float* xhat, const float* rstd, const float* dout, int64_t r0,
                                            int64_t r1, float* dx, const EnsembleMlpGrads& grads) {
  const int64_t H = s.hidden, L = s.layers, O = s.out;
  // Transposed weights where the input gradient is a product (below 8 inputs it is dot products with W's rows).
  std::vector<std::vector<float>> wt(static_cast<size_t>(L + 1));
  for (int64_t l = 0; l <= L; ++l) {
    const int64_t rows = l == 0 ? s.in : H;
    if (l == L || rows >= 8) wt[static_cast<size_t>(l)] = Transposed(p.w[l], rows, l == L ? O : H);
  }
  std::vector<float> acts(static_cast<size_t>(L * kMlpBlock * H)), buffers(static_cast<size_t>(2 * kMlpBlock * H));
  std::vector<float> out_grad_t(static_cast<size_t>(O * H));  // the output layer's weight gradient, transposed
  for (int64_t r = r0; r < r1; r += kMlpBlock) {
    const int64_t m = std::min(kMlpBlock, r1 - r);
    for (int64_t l = 0; l < L; ++l) {
      for (int64_t i = 0; i < m; ++i) {
        const float* xh = xhat + (l * s.rows + r + i) * H;
        float* a = acts.data() + (l * kMlpBlock + i) * H;
        for (int64_t j = 0; j < H; ++j) a[j] = std::max(xh[j] * p.g[l][j] + p.b[l][j], 0.0f);
      }
    }
    const float* dy = dout + r * O;
    ProductAdd(O, H, m, dy, 1, O, acts.data() + (L - 1) * kMlpBlock * H, H, out_grad_t.data(), H);
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t o = 0; o < O; ++o) grads.c[L][o] += dy[i * O + o];
    }
    float* d = buffers.data();  // the gradient of the current layer's output, then of its pre-activation
    std::fill(d, d + m * H, 0.0f);
    ProductAdd(m, H, O, dy, O, 1, wt[L].data(), H, d, H);
    for (int64_t l = L - 1; l >= 0; --l) {
      for (int64_t i = 0; i < m; ++i) {
        const int64_t row = l * s.rows + r + i;
        NormaliseReluBackward(d + i * H, xhat + row * H, rstd[row], H, p.g[l], p.b[l], grads.c[l], grads.g[l],
                              grads.b[l]);
      }
      const float* below = l > 0 ? acts.data() + (l - 1) * kMlpBlock * H : x + r * s.in;
      const int64_t width = l > 0 ? H : s.in;
      ProductAdd(width, H, m, below, 1, width, d, H, grads.w[l], H);
      float* next = l > 0 ? (d == buffers.data() ? d + kMlpBlock * H : buffers.data()) : dx ? dx + r * s.in : nullptr;
      if (next == nullptr) continue;
      if (width >= 8) {
        std::fill(next, next + m * width, 0.0f);
        ProductAdd(m, width, H, d, H, 1, wt[l].data(), width, next, width);
      } else {
        RowDots(m, width, H, d, H, p.w[l], nullptr, next, width);  // row k of W_l: input k's weights
      }
      d = next;
    }
  }
  for (int64_t i = 0; i < H; ++i) {
    for (int64_t o = 0; o < O; ++o) grads.w[L][i * O + o] += out_grad_t[static_cast<size_t>(o * H + i)];
  }
}
HARNESS_VARIANTS(EnsembleMlpBackward,
                 (const EnsembleMlpShape& s, const EnsembleMlpMember& p, const float* x, const float* xhat,
                  const float* rstd, const float* dout, int64_t r0, int64_t r1, float* dx,
                  const EnsembleMlpGrads& grads),
                 (s, p, x, xhat, rstd, dout, r0, r1, dx, grads))

HARNESS_INLINE void AdamWUpdateBody(float* p, const float* g, float* m, float* v, int64_t n,
                                    const AdamWScalars& s) {
  const float one_minus_b1 = 1.0f - s.beta1, one_minus_b2 = 1.0f - s.beta2;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const Vec8 gv = Load8(g + i);
    const Vec8 mv = s.beta1 * Load8(m + i) + one_minus_b1 * gv;
    const Vec8 vv = s.beta2 * Load8(v + i) + one_minus_b2 * (gv * gv);
    Store8(m + i, mv);
    Store8(v + i, vv);
    Vec8 root;
    for (int l = 0; l < 8; ++l) root[l] = std::sqrt(vv[l]);  // vsqrtps under AVX
    Store8(p + i, s.decay * Load8(p + i) - s.step_size * mv / (root * s.inv_sqrt_bc2 + s.eps));
  }
  for (; i < n; ++i) {
    m[i] = s.beta1 * m[i] + one_minus_b1 * g[i];
    v[i] = s.beta2 * v[i] + one_minus_b2 * (g[i] * g[i]);
    p[i] = s.decay * p[i] - s.step_size * m[i] / (std::sqrt(v[i]) * s.inv_sqrt_bc2 + s.eps);
  }
}
HARNESS_VARIANTS(AdamWUpdate, (float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s),
                 (p, g, m, v, n, s))

}  // namespace

void AttentionGather(const float* qkv, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D,
                     const float* cos, const float* sin, float* q, float* k, float* v) {
  const int64_t G = nh / nkv, C = (nh + 2 * nkv) * D;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      const float* row = qkv + (b * T + t) * C;
      const float* c = cos + (b * T + t) * D;
      const float* s = sin + (b * T + t) * D;
      for (int64_t kv = 0; kv < nkv; ++kv) {
        const int64_t at = ((b * nkv + kv) * T + t) * D;
        for (int64_t g = 0; g < G; ++g) Rotate(row + (kv * G + g) * D, c, s, D, q + at * G + g * D);
        Rotate(row + (nh + kv) * D, c, s, D, k + at);
        std::memcpy(v + at, row + (nh + nkv + kv) * D, D * sizeof(float));
      }
    }
  }
}

void AttentionScatterGrad(const float* dq, const float* dk, const float* dv, int64_t B, int64_t T,
                          int64_t nh, int64_t nkv, int64_t D, const float* cos, const float* sin,
                          float* dqkv) {
  const int64_t G = nh / nkv, C = (nh + 2 * nkv) * D;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      float* row = dqkv + (b * T + t) * C;
      const float* c = cos + (b * T + t) * D;
      const float* s = sin + (b * T + t) * D;
      for (int64_t kv = 0; kv < nkv; ++kv) {
        const int64_t at = ((b * nkv + kv) * T + t) * D;
        for (int64_t g = 0; g < G; ++g) RotateBack(dq + at * G + g * D, c, s, D, row + (kv * G + g) * D);
        RotateBack(dk + at, c, s, D, row + (nh + kv) * D);
        std::memcpy(row + (nh + nkv + kv) * D, dv + at, D * sizeof(float));
      }
    }
  }
}

// With rows ordered (t, g), one key/value head's G query heads at one position are a contiguous
// run of G*D floats on both sides.
void GroupHeads(const float* flat, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D,
                float* grouped) {
  const int64_t GD = nh / nkv * D;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t kv = 0; kv < nkv; ++kv) {
        std::memcpy(grouped + ((b * nkv + kv) * T + t) * GD, flat + (b * T + t) * nh * D + kv * GD,
                    GD * sizeof(float));
      }
    }
  }
}

void UngroupHeads(const float* grouped, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D,
                  float* flat) {
  const int64_t GD = nh / nkv * D;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t kv = 0; kv < nkv; ++kv) {
        std::memcpy(flat + (b * T + t) * nh * D + kv * GD, grouped + ((b * nkv + kv) * T + t) * GD,
                    GD * sizeof(float));
      }
    }
  }
}

// The causal products work on strips of kStripRows rows (whole tiles of 4 or 6 rows), each over only
// the keys its last position reaches; score columns are computed in whole 16-wide tiles.
constexpr int64_t kStripRows = 24, kColumnTile = 16;

void CausalScores(const float* x, const float* y, int64_t BK, int64_t G, int64_t T, int64_t D, float* scores) {
  std::vector<float> y_t(D * T);  // y[bk] transposed: the kernel reads rows of its right operand
  const int64_t rows = T * G;
  for (int64_t bk = 0; bk < BK; ++bk) {
    const float* yb = y + bk * T * D;
    for (int64_t s = 0; s < T; ++s) {
      for (int64_t d = 0; d < D; ++d) y_t[d * T + s] = yb[s * D + d];
    }
    for (int64_t r0 = 0; r0 < rows; r0 += kStripRows) {
      const int64_t r1 = std::min(rows, r0 + kStripRows);
      const int64_t keys = std::min(T, ((r1 - 1) / G + 1 + kColumnTile - 1) / kColumnTile * kColumnTile);
      MatMulStrided(x + (bk * rows + r0) * D, D, 1, r1 - r0, D, y_t.data(), T, keys, scores + (bk * rows + r0) * T,
                    T, /*accumulate=*/false);
    }
  }
}

void CausalRowsTimes(const float* p, const float* y, int64_t BK, int64_t G, int64_t T, int64_t D, float* out) {
  const int64_t rows = T * G;
  for (int64_t bk = 0; bk < BK; ++bk) {
    for (int64_t r0 = 0; r0 < rows; r0 += kStripRows) {
      const int64_t r1 = std::min(rows, r0 + kStripRows);
      MatMulStrided(p + (bk * rows + r0) * T, T, 1, r1 - r0, (r1 - 1) / G + 1, y + bk * T * D, D, D,
                    out + (bk * rows + r0) * D, D, /*accumulate=*/false);
    }
  }
}

void CausalColumnsTimes(const float* p, const float* x, int64_t BK, int64_t G, int64_t T, int64_t D, float* out) {
  const int64_t rows = T * G;
  for (int64_t bk = 0; bk < BK; ++bk) {
    for (int64_t s0 = 0; s0 < T; s0 += kStripRows) {
      const int64_t s1 = std::min(T, s0 + kStripRows), r0 = s0 * G;  // rows before r0 are at positions < s0
      MatMulStrided(p + (bk * rows + r0) * T + s0, 1, T, s1 - s0, rows - r0, x + (bk * rows + r0) * D, D, D,
                    out + (bk * T + s0) * D, D, /*accumulate=*/false);
    }
  }
}

std::vector<int64_t> FirstValidKey(const uint8_t* key_valid, int64_t B, int64_t T) {
  std::vector<int64_t> first(B, 0);
  if (key_valid == nullptr) return first;
  for (int64_t b = 0; b < B; ++b) {
    int64_t s = 0;
    while (s < T && key_valid[b * T + s] == 0) ++s;
    first[b] = s;
  }
  return first;
}

void PaddedQueryForward(const float* v, int64_t B, int64_t nkv, int64_t G, int64_t T, int64_t D,
                        const std::vector<int64_t>& first_valid, float* out) {
  std::vector<float> mean(D);
  for (int64_t bk = 0; bk < B * nkv; ++bk) {
    const int64_t positions = first_valid[bk / nkv];
    if (positions == 0) continue;
    std::fill(mean.begin(), mean.end(), 0.0f);
    for (int64_t s = 0; s < T; ++s) {
      for (int64_t d = 0; d < D; ++d) mean[d] += v[(bk * T + s) * D + d];
    }
    for (auto& m : mean) m /= static_cast<float>(T);
    for (int64_t r = 0; r < positions * G; ++r) {
      std::memcpy(out + (bk * T * G + r) * D, mean.data(), D * sizeof(float));
    }
  }
}

// Uniform probabilities p = 1/T: dP_s = dO.v_s, dS_s = (dP_s - mean(dP)) / T; then dq = sum_s dS_s k_s
// (assigned: the blocked products left this row's dq at 0), dk_s += dS_s q, dv_s += dO / T.
void PaddedQueryBackward(const float* q, const float* k, const float* v, const float* dout, int64_t B,
                         int64_t nkv, int64_t G, int64_t T, int64_t D, const std::vector<int64_t>& first_valid,
                         float* dq, float* dk, float* dv) {
  std::vector<float> dp(T);
  const float inv_t = 1.0f / static_cast<float>(T);
  for (int64_t bk = 0; bk < B * nkv; ++bk) {
    const int64_t positions = first_valid[bk / nkv];
    const float* kb = k + bk * T * D;
    const float* vb = v + bk * T * D;
    float* dkb = dk + bk * T * D;
    float* dvb = dv + bk * T * D;
    for (int64_t r = bk * T * G; r < bk * T * G + positions * G; ++r) {
      const float* dor = dout + r * D;
      const float* qr = q + r * D;
      float mean = 0;
      for (int64_t s = 0; s < T; ++s) {
        float dot = 0;
        for (int64_t d = 0; d < D; ++d) dot += dor[d] * vb[s * D + d];
        dp[s] = dot;
        mean += dot;
      }
      mean *= inv_t;
      float* dqr = dq + r * D;
      std::fill(dqr, dqr + D, 0.0f);
      for (int64_t s = 0; s < T; ++s) {
        const float ds = (dp[s] - mean) * inv_t;
        for (int64_t d = 0; d < D; ++d) {
          dqr[d] += ds * kb[s * D + d];
          dkb[s * D + d] += ds * qr[d];
          dvb[s * D + d] += dor[d] * inv_t;
        }
      }
    }
  }
}

void CausalSoftmax(float* scores, int64_t B, int64_t nkv, int64_t G, int64_t T,
                   const uint8_t* key_valid) {
  CausalSoftmaxAny(scores, B, nkv, G, T, key_valid);
}

void CausalSoftmaxBackward(const float* p, float* grad, int64_t BK, int64_t G, int64_t T) {
  CausalSoftmaxBackwardAny(p, grad, BK, G, T);
}

void RmsNormForward(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y,
                    float* inv) {
  RmsNormForwardAny(x, w, rows, n, eps, y, inv);
}

void RmsNormBackward(const float* dy, const float* x, const float* w, const float* inv,
                     int64_t rows, int64_t n, float* dx, float* dw) {
  RmsNormBackwardAny(dy, x, w, inv, rows, n, dx, dw);
}

void SwiGluForward(const float* gu, int64_t rows, int64_t inter, float* out) {
  SwiGluForwardAny(gu, rows, inter, out);
}

void SwiGluBackward(const float* dout, const float* gu, int64_t rows, int64_t inter, float* dgu) {
  SwiGluBackwardAny(dout, gu, rows, inter, dgu);
}

void EnsembleMlpForward(const EnsembleMlpShape& s, const EnsembleMlpMember& p, const float* x, int64_t r0, int64_t r1,
                        float eps, float* out, float* xhat, float* rstd) {
  EnsembleMlpForwardAny(s, p, x, r0, r1, eps, out, xhat, rstd);
}

void EnsembleMlpBackward(const EnsembleMlpShape& s, const EnsembleMlpMember& p, const float* x, const float* xhat,
                         const float* rstd, const float* dout, int64_t r0, int64_t r1, float* dx,
                         const EnsembleMlpGrads& grads) {
  EnsembleMlpBackwardAny(s, p, x, xhat, rstd, dout, r0, r1, dx, grads);
}

void AdamWUpdate(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s) {
  AdamWUpdateAny(p, g, m, v, n, s);
}

}  // namespace trainers::kernels
