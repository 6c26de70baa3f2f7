#include "trainers/sft/sft_loss.h"

#include <ATen/ATen.h>

namespace trainers {

at::Tensor WeightedCompletionLossSum(const at::Tensor& logits, const at::Tensor& ids, const at::Tensor& target_mask,
                                     const at::Tensor& weights, double* denominator) {
  const int64_t B = logits.size(0), T = logits.size(1), V = logits.size(2);
  // Position t-1 predicts token t.
  at::Tensor pred = logits.slice(1, 0, T - 1).reshape({B * (T - 1), V}).to(at::kFloat);
  at::Tensor next = ids.slice(1, 1, T).reshape({B * (T - 1)});
  at::Tensor mask = target_mask.slice(1, 1, T).to(at::kFloat);                  // [B, T-1]
  at::Tensor token_weight = (mask * weights.to(at::kFloat).unsqueeze(1)).reshape({B * (T - 1)});
  at::Tensor nll = at::cross_entropy_loss(pred, next, /*weight=*/{}, at::Reduction::None);
  *denominator = token_weight.sum().item<double>();
  return (nll * token_weight).sum();
}

}  // namespace trainers
