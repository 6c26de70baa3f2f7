// The arithmetic of PPO and GRPO on token sequences, shared by ReFT, START and WSRL on text. Every
// function takes [B, L] tensors over response positions (row b = one sampled response, column j = its
// j-th token) and a float mask [B, L] (1 = an action the policy took; 0 = padding or tokens a tool
// appended). Formulas follow ReFT's code (`train_rl_reft.py`) and the reference trainers
// (../shared/research/method_anchors.md §2.1 and §5); each function cites the rule it implements.
#pragma once

#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

namespace trainers::rl {

// KL estimators of KL(pi || pi_ref) per sampled token (Schulman, "Approximating KL divergence"):
//   k1 = logp - ref                        (ReFT, in the reward)
//   k2 = 0.5 * (logp - ref)^2
//   k3 = exp(ref - logp) - (ref - logp) - 1  (GRPO's in-loss estimator)
// The log-ratio is clamped to +-20 and k3 to [-10, 10], as verl and OpenRLHF do.
enum class KlEstimator { kK1, kK2, kK3 };
KlEstimator ParseKlEstimator(const std::string& name);  // "k1" | "k2" | "k3"; throws std::invalid_argument
at::Tensor KlPerToken(const at::Tensor& logp, const at::Tensor& ref_logp, KlEstimator estimator);

// How per-token losses become one number:
//   token-mean:           sum(l * m) / sum(m) over the whole batch
//   seq-mean-token-mean:  each row's token mean, then the mean over rows that have tokens (ReFT)
enum class LossAggregation { kTokenMean, kSeqMeanTokenMean };
LossAggregation ParseLossAggregation(const std::string& name);  // "token-mean" | "seq-mean-token-mean"
at::Tensor AggregateLoss(const at::Tensor& loss, const at::Tensor& mask, LossAggregation mode);
// AggregateLoss's denominator for this mask: the action tokens (token-mean) or the rows with any
// (seq-mean-token-mean). Data-parallel trainers weight each rank's loss by its share of the total.
double AggregationDenominator(const at::Tensor& mask, LossAggregation mode);

// Index of each row's last action token (the step that emitted EOS, or the last sampled token when the
// response was truncated); -1 for a row without actions.
std::vector<int64_t> LastActionIndex(const at::Tensor& mask);

// Per-token rewards of ReFT §3.1: the sequence score on the row's last action token, minus
// beta * kl on every action token when KL is in the reward (kl undefined or beta 0: no penalty).
at::Tensor TokenRewards(const at::Tensor& scores, const at::Tensor& mask, const at::Tensor& kl, double beta);

// Generalised advantage estimation over the action tokens of each row, right to left:
//   delta_t = r_t + gamma * V(next action) - V_t  (V after the last action = 0)
//   A_t = delta_t + gamma * lambda * A(next action)
// Positions with mask 0 are skipped (their A and return are 0), so tool-appended tokens do not break
// the chain. Returns {advantages, returns = A + V} (returns from the un-whitened advantages).
struct Gae {
  at::Tensor advantages, returns;
};
Gae ComputeGae(const at::Tensor& rewards, const at::Tensor& values, const at::Tensor& mask, double gamma,
               double lambda);

// Masked whitening over the whole batch: (x - mean) / sqrt(var + 1e-8), var with Bessel's correction
// (TRL's masked_whiten). shift_mean = false adds the mean back (advantages: ReFT and TRL whiten
// without moving the mean). Positions with mask 0 come out 0.
at::Tensor MaskedWhiten(const at::Tensor& x, const at::Tensor& mask, bool shift_mean);
at::Tensor MaskedMean(const at::Tensor& x, const at::Tensor& mask);

// PPO-clip policy loss per token: max(-A * ratio, -A * clip(ratio, 1 - eps, 1 + eps)),
// ratio = exp(logp - old_logp). Also the fraction of action tokens where the clipped term won
// (clipfrac) and the mean of (old_logp - logp) (approximate KL to the sampling policy).
struct PolicyLoss {
  at::Tensor loss;       // aggregated, differentiable
  double clipfrac = 0;
  double approx_kl = 0;
};
PolicyLoss ClippedPolicyLoss(const at::Tensor& logp, const at::Tensor& old_logp, const at::Tensor& advantages,
                             const at::Tensor& mask, double clip, LossAggregation mode);

// Clipped value loss per token (ReFT's code, TRL): 0.5 * max((V - R)^2, (V_old + clip(V - V_old, -c, c) - R)^2).
at::Tensor ClippedValueLoss(const at::Tensor& values, const at::Tensor& old_values, const at::Tensor& returns,
                            const at::Tensor& mask, double clip, LossAggregation mode);

// Value regression to Monte-Carlo returns (WSRL's offline pre-training on text, the analogue of Cal-QL's
// calibration): (V - R_b)^2 on every action token of row b, aggregated; returns [B] is each row's return
// (gamma 1 and a terminal reward: the sequence reward, the same target at every token).
at::Tensor ValueRegressionLoss(const at::Tensor& values, const at::Tensor& returns, const at::Tensor& mask,
                               LossAggregation mode);

// GRPO advantages (DeepSeekMath §4.1.2): for each group of `group_size` consecutive samples of one question,
// (r - mean_g) / (std_g + eps), std with Bessel's correction (torch.std, as verl and TRL); a group of one
// gets 0. scale_by_std = false gives Dr. GRPO's (r - mean_g). Returns one scalar per sample [N].
at::Tensor GrpoAdvantages(const at::Tensor& rewards, int group_size, bool scale_by_std, double eps = 1e-6);

// Ziegler et al.'s adaptive KL coefficient: beta *= 1 + clip(kl / target - 1, -0.2, 0.2) * n / horizon.
struct AdaptiveKl {
  double beta = 0.05;
  double target = 6.0;
  double horizon = 10000;
  void Update(double current_kl, int n_steps);
};

// Entropy of the categorical distribution of each row of logits [..., V]: -sum p log p, [...].
at::Tensor EntropyFromLogits(const at::Tensor& logits);

}  // namespace trainers::rl
