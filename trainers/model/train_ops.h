// Fused CPU fp32 autograd ops for the Llama layer's non-GEMM parts (loops in train_kernels.h): one
// node per RMSNorm, per attention core (RoPE + causal masked softmax attention) and per SwiGLU,
// instead of the 5-15 LibTorch ops (and their backward graphs) each is otherwise. The LibTorch
// expressions in llama.cc stay the definition and run everywhere else (CUDA, bf16, KV-cache
// chunks); FusedOpsApply() says when these may be used.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace trainers {

// True for a CPU float32 tensor: the only case the fused ops implement.
bool FusedOpsApply(const at::Tensor& x);

// HF LlamaRMSNorm in fp32: weight * (x * rsqrt(mean(x^2, -1) + eps)).
at::Tensor FusedRmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps);

// An ensemble of E MLPs on one shared input x [B, in], every layer in one node (the loops of
// train_kernels.h's EnsembleMlpForward/Backward): for each of `layers` hidden layers
// h = relu(layer_norm(h W + c, eps) g + b), then the output layer h W + c; returns [E, B, out]. params as
// WSRL's EnsembleMlp::Parameters() lists them: per hidden layer W [E, d, H], c, g, b [E, 1, H]; then the
// output layer's W [E, H, out] and c [E, 1, out]. Without a graph to record (NoGradGuard, or nothing that
// requires a gradient), only the forward runs and nothing is saved.
at::Tensor FusedEnsembleMlp(const at::Tensor& x, const std::vector<at::Tensor>& params, int64_t layers, double eps);
// x W^T + b (nn.Linear) for x [..., in], W [out, in], b [out] or undefined, with its three products (forward,
// input gradient, weight gradient) run by oneDNN's row-major sgemm, which at these sizes (a few thousand rows,
// 128-768 columns) is 10-20% faster than OpenBLAS at 2 threads and skips OpenBLAS's separate pass zeroing
// the output. oneDNN is LibTorch's own dependency (libdnnl): its sgemm is looked up at run time, and where it
// is absent (another LibTorch build) or HARNESS_LINEAR=blas is set, this is at::linear.
at::Tensor FusedLinear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias);
// Whether FusedLinear runs oneDNN's sgemm in this process ("dnnl") or at::linear ("blas").
const char* FusedLinearBackend();

// silu(gu[..., :I]) * gu[..., I:] for gu [..., 2I].
at::Tensor FusedSwiGlu(const at::Tensor& gu);

// Causal grouped-query attention straight from the fused projection qkv [B, T, (nh + 2 nkv) D]
// (queries already scaled by 1/sqrt(D)): rotary embedding with cos/sin [B, T, D], query t attends
// to keys s <= t with key_valid[b, s] (uint8 [B, T]; undefined: every key valid). A query with no
// allowed key attends uniformly to all T keys, as the LibTorch path's finite mask gives.
// Returns [B, T, nh D], heads side by side (the o_proj input). Its products skip the keys that
// causality hides (about half of the work at long T) instead of computing and then masking them.
at::Tensor FusedCausalAttention(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin,
                                const at::Tensor& key_valid, int64_t num_heads, int64_t num_kv_heads);

}  // namespace trainers
