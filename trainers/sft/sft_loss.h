// The SFT / C-RLFT loss: token cross-entropy on completion tokens only, each example weighted, normalised
// by the total weight of the counted tokens (the weight-normalised mean).
#pragma once

#include <ATen/core/Tensor.h>

namespace trainers {

// logits [B, T, V]; ids [B, T] int64; target_mask [B, T] (1 where ids[b, t] is a completion token to be
// predicted from position t-1); weights [B]. Returns the SUM over b, t >= 1 of
// weights[b] * target_mask[b, t] * CE(logits[b, t-1], ids[b, t]) (a scalar) and, in *denominator, the
// sum of weights[b] * target_mask[b, t]. loss = sum / denominator; kept apart so gradient accumulation
// over micro-batches normalises by the whole step's weight, exactly.
at::Tensor WeightedCompletionLossSum(const at::Tensor& logits, const at::Tensor& ids, const at::Tensor& target_mask,
                                     const at::Tensor& weights, double* denominator);

}  // namespace trainers
