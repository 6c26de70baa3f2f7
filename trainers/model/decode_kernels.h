// Plain-C++ fp32 kernels for one decode step on the CPU (no LibTorch): a GEMM for a few rows
// against a pre-transposed weight, RMSNorm, rotary embedding, single-query attention over a KV
// cache row, and SwiGLU. Why they exist: at decode a step multiplies only batch-many rows (16) by
// each weight, where OpenBLAS spends as long re-packing the weight on every call as multiplying,
// and each LibTorch op adds dispatch and allocation costs comparable to the arithmetic itself.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace trainers::kernels {

// Weights for MatMulPacked: b [k, n] row-major (a weight stored transposed, [in, out]) cut into
// column panels of PanelWidth() columns (the last one narrower), each [k, width] contiguous, so the
// kernel streams memory in order instead of striding across rows of b.
int64_t PanelWidth();
// Tests: switch the tile kernel (and so PanelWidth) to "avx512", "avx2" or "generic", or back to
// "best" (the default: the widest this CPU runs); false when this CPU lacks the instruction set.
// Not thread-safe; pack again after switching.
bool UseTileForTesting(const std::string& isa);
std::vector<float> PackPanels(const float* b, int64_t k, int64_t n);
// The same packed b straight from weights stored [out, in] (nn.Linear's layout), given as blocks of
// rows (pointer, row count, each row k floats) stacked along out, e.g. q, k and v: b is their
// concatenation transposed, without building that copy first.
std::vector<float> PackPanelsFromRows(const std::vector<std::pair<const float*, int64_t>>& blocks,
                                      int64_t k);

// c[m, n] (+)= sum_k a[m, k] * b[k, n], b given packed by PackPanels; a and c row-major with
// leading dimensions lda and ldc. Fast when m is small (a decode batch).
void MatMulPacked(const float* a, int64_t lda, int64_t m, int64_t k, const float* packed, int64_t n,
                  float* c, int64_t ldc, bool accumulate);

// The same tile kernel on unpacked operands, for the training attention's small products
// (train_kernels.cc): c[m, n] (+)= sum_k a(i, kk) * b[kk, n] with a(i, kk) = a[i * lda + kk * ak]
// (ak = 1: row-major; lda = 1: a transposed) and b row-major with row stride ldb.
void MatMulStrided(const float* a, int64_t lda, int64_t ak, int64_t m, int64_t k, const float* b,
                   int64_t ldb, int64_t n, float* c, int64_t ldc, bool accumulate);

// out[n] = weight[n] * x[n] / sqrt(mean(x^2) + eps) (HF LlamaRMSNorm in fp32).
void RmsNorm(const float* x, int64_t n, const float* weight, float eps, float* out);

// HF rotate-half rotary embedding of one head vector x[d] in place; cos/sin hold d/2 angles' values
// (the halves share them).
void RotateHalf(float* x, int64_t d, const float* cos_half, const float* sin_half);

// `groups` query heads q[groups][d] (already scaled by 1/sqrt(d)) that share one key/value head,
// attending to `len` cached keys/values, each d contiguous floats apart by `stride`;
// scores[len] is scratch. out[g][d] = softmax(q[g] . k) @ v.
void AttendGroup(const float* q, int64_t groups, const float* keys, const float* values,
                 int64_t len, int64_t d, int64_t stride, float* scores, float* out);

}  // namespace trainers::kernels
