// Next-token choice for a batch of rows, each with its own temperature / top-k / top-p and its own
// uniform random number, so a row's sample depends only on its logits and its own RNG stream.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace trainers {

struct SamplingParams {
  double temperature = 1.0;  // 0 = greedy (argmax)
  int top_k = 0;             // keep the k most likely tokens; 0 = off
  double top_p = 1.0;        // keep the smallest prefix of sorted tokens with mass >= top_p; 1 = off
};

struct SampledTokens {
  at::Tensor tokens;    // [B] int64
  at::Tensor logprobs;  // [B] float: log-softmax of logits / temperature (1 for greedy rows) at the
                        // chosen token, before top-k/top-p truncation
};

// logits [B, V]; params and uniforms (each in [0, 1)) have B entries. Sampling is by inverse CDF over
// the tokens sorted by descending logit (stable, so ties go to the lower id): the chosen token is the
// first whose cumulative truncated probability exceeds u * (kept mass).
// On the CPU in float the rows are drawn one at a time without sorting the vocabulary (the same tokens as the
// reference up to float rounding at a boundary; SampleTokensReference is the definition, in LibTorch ops).
SampledTokens SampleTokens(const at::Tensor& logits, const std::vector<SamplingParams>& params,
                           const std::vector<double>& uniforms);
SampledTokens SampleTokensReference(const at::Tensor& logits, const std::vector<SamplingParams>& params,
                                    const std::vector<double>& uniforms);

// The distribution SampleTokens draws from for one row, [V] float (zero outside the kept set).
at::Tensor TruncatedDistribution(const at::Tensor& logits_row, const SamplingParams& params);

}  // namespace trainers
