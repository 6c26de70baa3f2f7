// Plain-C++ fp32 loops (no LibTorch) behind the fused training ops of train_ops.h: the parts of a
// Llama layer that are not GEMMs (the decode step, cpu_decoder.cc, uses SwiGluForward too). Why
// they exist: as LibTorch graphs these are 5-15 small ops each (RMSNorm, rotate-half RoPE, the
// additive causal mask and softmax, SiLU*up), each reading and writing the whole activation, and
// their autograd backward adds as many again, plus zero-filled full-size gradients for every
// narrow() of a fused projection. Here each is one or two passes. The attention's own products
// are here too (on decode_kernels' register tile), so that they can skip the keys causality hides;
// and the AdamW update, one pass instead of nine.
//
// Layout names: B batch, T sequence, D head size, nh query heads, nkv key/value heads, G = nh/nkv;
// qkv rows are [q heads | k heads | v heads] (the fused projection's output), each D wide.
#pragma once

#include <cstdint>
#include <vector>

namespace trainers::kernels {

// Attention operands from the fused projection output qkv [B, T, (nh + 2 nkv) D]: rotary embedding
// (HF rotate-half; cos/sin [B, T, D] with the halves repeated, as RotaryCosSin makes them) applied to
// q and k, and heads regrouped so that each key/value head's G query heads are one matrix:
// q [B*nkv, T*G, D] (row t*G + g: a run of query positions is a run of rows, which the strips of
// the causal products below rely on), k and v [B*nkv, T, D].
void AttentionGather(const float* qkv, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D, const float* cos,
                     const float* sin, float* q, float* k, float* v);
// The transpose of AttentionGather: gradients dq, dk, dv in the grouped layouts back to one
// [B, T, (nh + 2 nkv) D] gradient of qkv (rotation applied transposed). Overwrites dqkv.
void AttentionScatterGrad(const float* dq, const float* dk, const float* dv, int64_t B, int64_t T, int64_t nh,
                          int64_t nkv, int64_t D, const float* cos, const float* sin, float* dqkv);
// Between [B, T, nh D] (heads side by side, the o_proj input) and [B*nkv, T*G, D] (grouped).
void GroupHeads(const float* flat, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D, float* grouped);
void UngroupHeads(const float* grouped, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D, float* flat);

// In place on scores [B*nkv, T*G, T] (row t*G + g is query t): softmax over the keys s <= t with
// key_valid[b*T + s] != 0 (key_valid null: all valid), exactly 0 elsewhere; reads only entries
// s <= t. A row with no allowed key (a query before its sequence's first valid key) is set to 0:
// PaddedQuery* below give it its meaning.
void CausalSoftmax(float* scores, int64_t B, int64_t nkv, int64_t G, int64_t T, const uint8_t* key_valid);
// Softmax backward on the same rows: grad <- p * (grad - sum(p * grad)) over s <= t, reading only
// those entries, and grad <- 0 for s > t.
void CausalSoftmaxBackward(const float* p, float* grad, int64_t BK, int64_t G, int64_t T);

// The attention's products, each over only what causality reaches, on the grouped layouts above
// (BK = B*nkv blocks; x and p have T*G rows per block, y T rows; row t*G + g is position t):
// scores[r, s] = x[r] . y[s] for s <= t, written at least that far (scores [BK, T*G, T]);
// out[r] = sum over s <= t of p[r, s] y[s] (out [BK, T*G, D]; p must be 0 past each row's t);
// out[s] = sum over rows r at positions >= s of p[r, s] x[r] (out [BK, T, D]; same condition).
// Forward: scores = q k^T, o = P v. Backward: dP = dO v^T, dq = dS k, dk = dS^T q, dv = P^T dO.
void CausalScores(const float* x, const float* y, int64_t BK, int64_t G, int64_t T, int64_t D, float* scores);
void CausalRowsTimes(const float* p, const float* y, int64_t BK, int64_t G, int64_t T, int64_t D, float* out);
void CausalColumnsTimes(const float* p, const float* x, int64_t BK, int64_t G, int64_t T, int64_t D, float* out);

// Queries with no allowed key attend uniformly to all T keys, as the LibTorch path's finite
// additive mask makes them. Those are the queries t < first_valid[b] (FirstValidKey: index of
// each row's first valid key, T when none). Forward: their rows of out [B*nkv, T*G, D] become the
// mean of v. Backward: their dq rows are written and their share added into dk and dv.
std::vector<int64_t> FirstValidKey(const uint8_t* key_valid, int64_t B, int64_t T);
void PaddedQueryForward(const float* v, int64_t B, int64_t nkv, int64_t G, int64_t T, int64_t D,
                        const std::vector<int64_t>& first_valid, float* out);
void PaddedQueryBackward(const float* q, const float* k, const float* v, const float* dout, int64_t B, int64_t nkv,
                         int64_t G, int64_t T, int64_t D, const std::vector<int64_t>& first_valid, float* dq,
                         float* dk, float* dv);

// RMSNorm over rows of width n: y = w * (x * inv), inv[r] = 1/sqrt(mean(x^2) + eps) (saved for
// the backward). Backward: dx overwritten; dw accumulated (+=) so rows can be summed into it.
void RmsNormForward(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y, float* inv);
void RmsNormBackward(const float* dy, const float* x, const float* w, const float* inv, int64_t rows, int64_t n,
                     float* dx, float* dw);

// SwiGLU on gu [rows, 2 I] = [gate | up]: out [rows, I] = silu(gate) * up; the backward writes the
// gradient of the whole gu row (both halves) at once.
void SwiGluForward(const float* gu, int64_t rows, int64_t inter, float* out);
void SwiGluBackward(const float* dout, const float* gu, int64_t rows, int64_t inter, float* dgu);

// An ensemble of E MLPs on one shared input, a block of rows at a time through every layer, so that a
// block's activations stay in cache and no layer's output is written whole (WSRL's critics and actor,
// issue 18: 64-wide layers, where the separate products, LayerNorm passes and their gradients spent most
// of an update moving activations). Layers: d_0 = in, d_1 .. d_L = hidden (L >= 1 hidden layers), d_{L+1} = out;
// hidden layer l: a_l = relu(layer_norm(a_{l-1} W_l + c_l) g_l + b_l) (biased variance, eps), the output
// layer a_L W_{L+1} + c_{L+1}. One member's parameters: W_l [d_{l-1}, d_l] row-major, c_l [d_l]; g_l, b_l [hidden].
struct EnsembleMlpShape {
  int64_t rows, in, hidden, layers, out;
};
struct EnsembleMlpMember {
  std::vector<const float*> w, c, g, b;  // w and c: layers + 1 entries; g and b: layers
};
struct EnsembleMlpGrads {
  std::vector<float*> w, c, g, b;  // accumulated (+=)
};
// One member on rows [r0, r1) of x [rows, in]: writes those rows of out [rows, out] and, when xhat is not
// null, the normalised pre-activations xhat [layers, rows, hidden] and their rstd [layers, rows] that the
// backward reads.
void EnsembleMlpForward(const EnsembleMlpShape& s, const EnsembleMlpMember& p, const float* x, int64_t r0, int64_t r1,
                        float eps, float* out, float* xhat, float* rstd);
// The gradients of one member's rows [r0, r1) given dout [rows, out]: parameter gradients accumulated into
// `grads`, and dx [rows, in] written on those rows when dx is not null.
void EnsembleMlpBackward(const EnsembleMlpShape& s, const EnsembleMlpMember& p, const float* x, const float* xhat,
                         const float* rstd, const float* dout, int64_t r0, int64_t r1, float* dx,
                         const EnsembleMlpGrads& grads);

// One AdamW step (decoupled weight decay, as torch.optim.AdamW) over n fp32 values in one pass:
// p *= decay; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
// p -= step_size * m / (sqrt(v) * inv_sqrt_bc2 + eps), with decay = 1 - lr wd,
// step_size = lr / (1 - b1^t) and inv_sqrt_bc2 = 1 / sqrt(1 - b2^t).
struct AdamWScalars {
  float decay, beta1, beta2, step_size, inv_sqrt_bc2, eps;
};
void AdamWUpdate(float* p, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s);

}  // namespace trainers::kernels
