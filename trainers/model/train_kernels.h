// Plain-C++ fp32 loops (no LibTorch) behind the fused training ops of train_ops.h: the parts of a
// Llama layer that are not GEMMs (the decode step, cpu_decoder.cc, uses SwiGluForward too). Why
// they exist: as LibTorch graphs these are 5-15 small ops each (RMSNorm, rotate-half RoPE, the
// additive causal mask and softmax, SiLU*up), each reading and writing the whole activation, and
// their autograd backward adds as many again, plus zero-filled full-size gradients for every
// narrow() of a fused projection. Here each is one or two passes.
//
// Layout names: B batch, T sequence, D head size, nh query heads, nkv key/value heads, G = nh/nkv;
// qkv rows are [q heads | k heads | v heads] (the fused projection's output), each D wide.
#pragma once

#include <cstdint>

namespace trainers::kernels {

// Attention operands from the fused projection output qkv [B, T, (nh + 2 nkv) D]: rotary embedding
// (HF rotate-half; cos/sin [B, T, D] with the halves repeated, as RotaryCosSin makes them) applied to
// q and k, and heads regrouped so that each key/value head's G query heads are one matrix:
// q [B*nkv, G*T, D] (row g*T + t), k and v [B*nkv, T, D].
void AttentionGather(const float* qkv, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D, const float* cos,
                     const float* sin, float* q, float* k, float* v);
// The transpose of AttentionGather: gradients dq, dk, dv in the grouped layouts back to one
// [B, T, (nh + 2 nkv) D] gradient of qkv (rotation applied transposed). Overwrites dqkv.
void AttentionScatterGrad(const float* dq, const float* dk, const float* dv, int64_t B, int64_t T, int64_t nh,
                          int64_t nkv, int64_t D, const float* cos, const float* sin, float* dqkv);
// Between [B, T, nh D] (heads side by side, the o_proj input) and [B*nkv, G*T, D] (grouped).
void GroupHeads(const float* flat, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D, float* grouped);
void UngroupHeads(const float* grouped, int64_t B, int64_t T, int64_t nh, int64_t nkv, int64_t D, float* flat);

// In place on scores [B*nkv, G*T, T] (row g*T + t is query t): softmax over the keys s <= t with
// key_valid[b*T + s] != 0 (key_valid null: all valid), exactly 0 elsewhere. A row with no allowed
// key becomes uniform over all T keys, which is what the LibTorch path's finite additive mask gives.
void CausalSoftmax(float* scores, int64_t B, int64_t nkv, int64_t G, int64_t T, const uint8_t* key_valid);
// Softmax backward on `rows` rows of width n: grad <- p * (grad - sum(p * grad)), in place.
void SoftmaxBackward(const float* p, float* grad, int64_t rows, int64_t n);

// RMSNorm over rows of width n: y = w * (x * inv), inv[r] = 1/sqrt(mean(x^2) + eps) (saved for
// the backward). Backward: dx overwritten; dw accumulated (+=) so rows can be summed into it.
void RmsNormForward(const float* x, const float* w, int64_t rows, int64_t n, float eps, float* y, float* inv);
void RmsNormBackward(const float* dy, const float* x, const float* w, const float* inv, int64_t rows, int64_t n,
                     float* dx, float* dw);

// SwiGLU on gu [rows, 2 I] = [gate | up]: out [rows, I] = silu(gate) * up; the backward writes the
// gradient of the whole gu row (both halves) at once.
void SwiGluForward(const float* gu, int64_t rows, int64_t inter, float* out);
void SwiGluBackward(const float* dout, const float* gu, int64_t rows, int64_t inter, float* dgu);

}  // namespace trainers::kernels
