#include "trainers/rl/ppo_math.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

namespace trainers::rl {

KlEstimator ParseKlEstimator(const std::string& name) {
  if (name == "k1") return KlEstimator::kK1;
  if (name == "k2") return KlEstimator::kK2;
  if (name == "k3") return KlEstimator::kK3;
  throw std::invalid_argument("unknown KL estimator '" + name + "' (k1, k2 or k3)");
}

at::Tensor KlPerToken(const at::Tensor& logp, const at::Tensor& ref_logp, KlEstimator estimator) {
  const at::Tensor log_ratio = (logp - ref_logp).clamp(-20.0, 20.0);
  switch (estimator) {
    case KlEstimator::kK1:
      return log_ratio;
    case KlEstimator::kK2:
      return 0.5 * log_ratio * log_ratio;
    case KlEstimator::kK3: {
      const at::Tensor neg = -log_ratio;  // log(ref / pi)
      return (neg.exp() - neg - 1.0).clamp(-10.0, 10.0);
    }
  }
  throw std::logic_error("KlPerToken: estimator");
}

LossAggregation ParseLossAggregation(const std::string& name) {
  if (name == "token-mean") return LossAggregation::kTokenMean;
  if (name == "seq-mean-token-mean") return LossAggregation::kSeqMeanTokenMean;
  throw std::invalid_argument("unknown loss aggregation '" + name + "' (token-mean or seq-mean-token-mean)");
}

at::Tensor AggregateLoss(const at::Tensor& loss, const at::Tensor& mask, LossAggregation mode) {
  if (mode == LossAggregation::kTokenMean) return (loss * mask).sum() / mask.sum().clamp_min(1.0);
  const at::Tensor tokens = mask.sum(1);
  const at::Tensor has = (tokens > 0).to(loss.scalar_type());
  const at::Tensor per_row = (loss * mask).sum(1) / tokens.clamp_min(1.0);
  return (per_row * has).sum() / has.sum().clamp_min(1.0);
}

double AggregationDenominator(const at::Tensor& mask, LossAggregation mode) {
  if (mode == LossAggregation::kTokenMean) return mask.sum().item<double>();
  return (mask.sum(1) > 0).sum().item<double>();
}

std::vector<int64_t> LastActionIndex(const at::Tensor& mask) {
  const at::Tensor m = mask.to(torch::kCPU, torch::kFloat).contiguous();
  auto a = m.accessor<float, 2>();
  std::vector<int64_t> last(m.size(0), -1);
  for (int64_t b = 0; b < m.size(0); ++b) {
    for (int64_t t = m.size(1) - 1; t >= 0; --t) {
      if (a[b][t] > 0) {
        last[b] = t;
        break;
      }
    }
  }
  return last;
}

at::Tensor TokenRewards(const at::Tensor& scores, const at::Tensor& mask, const at::Tensor& kl, double beta) {
  at::Tensor rewards = torch::zeros_like(mask);
  if (kl.defined() && beta != 0) rewards = rewards - beta * kl * mask;
  const std::vector<int64_t> last = LastActionIndex(mask);
  const at::Tensor s = scores.to(torch::kCPU, torch::kDouble);
  for (size_t b = 0; b < last.size(); ++b) {
    if (last[b] < 0) continue;
    rewards[b][last[b]] += s[b].item<double>();
  }
  return rewards;
}

Gae ComputeGae(const at::Tensor& rewards, const at::Tensor& values, const at::Tensor& mask, double gamma,
               double lambda) {
  const at::Tensor r = rewards.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const at::Tensor v = values.detach().to(torch::kCPU, torch::kDouble).contiguous();
  const at::Tensor m = mask.detach().to(torch::kCPU, torch::kDouble).contiguous();
  at::Tensor adv = torch::zeros_like(r);
  auto ra = r.accessor<double, 2>(), va = v.accessor<double, 2>(), ma = m.accessor<double, 2>();
  auto aa = adv.accessor<double, 2>();
  for (int64_t b = 0; b < r.size(0); ++b) {
    double next_value = 0, next_adv = 0;
    for (int64_t t = r.size(1) - 1; t >= 0; --t) {
      if (ma[b][t] <= 0) continue;
      const double delta = ra[b][t] + gamma * next_value - va[b][t];
      aa[b][t] = delta + gamma * lambda * next_adv;
      next_value = va[b][t];
      next_adv = aa[b][t];
    }
  }
  Gae out;
  out.advantages = adv.to(rewards.options());
  out.returns = ((adv + v) * m).to(rewards.options());
  return out;
}

at::Tensor MaskedMean(const at::Tensor& x, const at::Tensor& mask) {
  return (x * mask).sum() / mask.sum().clamp_min(1.0);
}

at::Tensor MaskedWhiten(const at::Tensor& x, const at::Tensor& mask, bool shift_mean) {
  const at::Tensor n = mask.sum();
  const at::Tensor mean = (x * mask).sum() / n.clamp_min(1.0);
  const at::Tensor centered = (x - mean) * mask;
  at::Tensor var = (centered * centered).sum() / n.clamp_min(1.0);
  const double count = n.item<double>();
  if (count > 1) var = var * (count / (count - 1));  // Bessel's correction
  at::Tensor white = (x - mean) * torch::rsqrt(var + 1e-8);
  if (!shift_mean) white = white + mean;
  return white * mask;
}

PolicyLoss ClippedPolicyLoss(const at::Tensor& logp, const at::Tensor& old_logp, const at::Tensor& advantages,
                             const at::Tensor& mask, double clip, LossAggregation mode) {
  const at::Tensor log_ratio = logp - old_logp;
  const at::Tensor ratio = log_ratio.exp();
  const at::Tensor unclipped = -advantages * ratio;
  const at::Tensor clipped = -advantages * ratio.clamp(1.0 - clip, 1.0 + clip);
  PolicyLoss out;
  out.loss = AggregateLoss(torch::max(unclipped, clipped), mask, mode);
  torch::NoGradGuard no_grad;
  out.clipfrac = MaskedMean((clipped > unclipped).to(mask.scalar_type()), mask).item<double>();
  out.approx_kl = MaskedMean(-log_ratio, mask).item<double>();
  return out;
}

at::Tensor ValueRegressionLoss(const at::Tensor& values, const at::Tensor& returns, const at::Tensor& mask,
                               LossAggregation mode) {
  const at::Tensor error = values - returns.to(values.scalar_type()).unsqueeze(1);
  return AggregateLoss(error * error, mask, mode);
}

at::Tensor ClippedValueLoss(const at::Tensor& values, const at::Tensor& old_values, const at::Tensor& returns,
                            const at::Tensor& mask, double clip, LossAggregation mode) {
  const at::Tensor clipped = old_values + (values - old_values).clamp(-clip, clip);
  const at::Tensor a = (values - returns).pow(2), b = (clipped - returns).pow(2);
  return 0.5 * AggregateLoss(torch::max(a, b), mask, mode);
}

at::Tensor GrpoAdvantages(const at::Tensor& rewards, int group_size, bool scale_by_std, double eps) {
  if (group_size < 1 || rewards.numel() % group_size != 0) {
    throw std::invalid_argument("GrpoAdvantages: " + std::to_string(rewards.numel()) +
                                " rewards do not split into groups of " + std::to_string(group_size));
  }
  if (group_size == 1) return torch::zeros_like(rewards);
  const at::Tensor g = rewards.reshape({-1, group_size});
  at::Tensor adv = g - g.mean(1, /*keepdim=*/true);
  if (scale_by_std) adv = adv / (g.std(1, /*unbiased=*/true, /*keepdim=*/true) + eps);
  return adv.reshape(rewards.sizes());
}

void AdaptiveKl::Update(double current_kl, int n_steps) {
  const double error = std::clamp(current_kl / target - 1.0, -0.2, 0.2);
  beta *= 1.0 + error * n_steps / horizon;
}

at::Tensor EntropyFromLogits(const at::Tensor& logits) {
  const at::Tensor logp = torch::log_softmax(logits, -1);
  return -(logp.exp() * logp).sum(-1);
}

}  // namespace trainers::rl
