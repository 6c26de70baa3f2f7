#include "trainers/model/train_kernels.h"

#include <cmath>
#include <cstring>

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
  if (best == -INFINITY) {  // nothing to attend to: uniform, as a finite additive mask gives
    for (s = 0; s < n; ++s) row[s] = 1.0f / static_cast<float>(n);
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
    for (int64_t g = 0; g < G; ++g) {
      for (int64_t t = 0; t < T; ++t)
        SoftmaxRowBody(scores + ((bk * G + g) * T + t) * T, t + 1, T, valid);
    }
  }
}
HARNESS_VARIANTS(CausalSoftmax,
                 (float* scores, int64_t B, int64_t nkv, int64_t G, int64_t T,
                  const uint8_t* key_valid),
                 (scores, B, nkv, G, T, key_valid))

HARNESS_INLINE void SoftmaxBackwardBody(const float* p, float* grad, int64_t rows, int64_t n) {
  for (int64_t r = 0; r < rows; ++r, p += n, grad += n) {
    Vec8 dot8{};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) dot8 += Load8(p + i) * Load8(grad + i);
    float dot = Sum8(dot8);
    for (; i < n; ++i) dot += p[i] * grad[i];
    for (i = 0; i + 8 <= n; i += 8) Store8(grad + i, Load8(p + i) * (Load8(grad + i) - dot));
    for (; i < n; ++i) grad[i] = p[i] * (grad[i] - dot);
  }
}
HARNESS_VARIANTS(SoftmaxBackward, (const float* p, float* grad, int64_t rows, int64_t n),
                 (p, grad, rows, n))

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

}  // namespace

void AttentionGather(const float* qkv, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D,
                     const float* cos, const float* sin, float* q, float* k, float* v) {
  const int64_t G = nh / nkv, C = (nh + 2 * nkv) * D;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      const float* row = qkv + (b * T + t) * C;
      const float* c = cos + (b * T + t) * D;
      const float* s = sin + (b * T + t) * D;
      for (int64_t h = 0; h < nh; ++h) {
        Rotate(row + h * D, c, s, D, q + (((b * nkv + h / G) * G + h % G) * T + t) * D);
      }
      for (int64_t kv = 0; kv < nkv; ++kv) {
        const int64_t at = ((b * nkv + kv) * T + t) * D;
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
      for (int64_t h = 0; h < nh; ++h) {
        RotateBack(dq + (((b * nkv + h / G) * G + h % G) * T + t) * D, c, s, D, row + h * D);
      }
      for (int64_t kv = 0; kv < nkv; ++kv) {
        const int64_t at = ((b * nkv + kv) * T + t) * D;
        RotateBack(dk + at, c, s, D, row + (nh + kv) * D);
        std::memcpy(row + (nh + nkv + kv) * D, dv + at, D * sizeof(float));
      }
    }
  }
}

void GroupHeads(const float* flat, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D,
                float* grouped) {
  const int64_t G = nh / nkv;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t h = 0; h < nh; ++h) {
        std::memcpy(grouped + (((b * nkv + h / G) * G + h % G) * T + t) * D,
                    flat + ((b * T + t) * nh + h) * D, D * sizeof(float));
      }
    }
  }
}

void UngroupHeads(const float* grouped, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D,
                  float* flat) {
  const int64_t G = nh / nkv;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t h = 0; h < nh; ++h) {
        std::memcpy(flat + ((b * T + t) * nh + h) * D,
                    grouped + (((b * nkv + h / G) * G + h % G) * T + t) * D, D * sizeof(float));
      }
    }
  }
}

void CausalSoftmax(float* scores, int64_t B, int64_t nkv, int64_t G, int64_t T,
                   const uint8_t* key_valid) {
  CausalSoftmaxAny(scores, B, nkv, G, T, key_valid);
}

void SoftmaxBackward(const float* p, float* grad, int64_t rows, int64_t n) {
  SoftmaxBackwardAny(p, grad, rows, n);
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

}  // namespace trainers::kernels
