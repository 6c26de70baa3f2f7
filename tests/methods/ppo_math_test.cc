// PPO / GRPO arithmetic against hand-computed values (trainers/rl/ppo_math.h). Every expected number is
// worked out in the comment beside it.
#include <gtest/gtest.h>

#include <cmath>

#include <torch/torch.h>

#include "trainers/rl/ppo_math.h"

namespace {

using namespace trainers::rl;

void ExpectNear(const torch::Tensor& got, std::vector<double> want, double tol = 1e-6) {
  const torch::Tensor g = got.to(torch::kDouble).flatten().contiguous();
  ASSERT_EQ(g.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(g[i].item<double>(), want[i], tol) << "at " << i;
}

TEST(KlEstimators, EachMatchesItsFormula) {
  const auto logp = torch::tensor({-1.0, -2.0}), ref = torch::tensor({-1.5, -1.0});
  // log-ratio = logp - ref = [0.5, -1.0]
  ExpectNear(KlPerToken(logp, ref, KlEstimator::kK1), {0.5, -1.0});
  ExpectNear(KlPerToken(logp, ref, KlEstimator::kK2), {0.125, 0.5});  // 0.5 * r^2
  // k3 = e^(ref-logp) - (ref-logp) - 1: e^-0.5 + 0.5 - 1 = 0.1065307; e^1 - 1 - 1 = 0.7182818
  ExpectNear(KlPerToken(logp, ref, KlEstimator::kK3), {std::exp(-0.5) - 0.5, std::exp(1.0) - 2.0});
  // Extreme ratios are clamped: k1 at +-20, k3 at 10.
  ExpectNear(KlPerToken(torch::tensor({0.0}), torch::tensor({-50.0}), KlEstimator::kK1), {20.0});
  ExpectNear(KlPerToken(torch::tensor({-50.0}), torch::tensor({0.0}), KlEstimator::kK3), {10.0});
  EXPECT_THROW(ParseKlEstimator("k4"), std::invalid_argument);
}

TEST(LossAggregation, TokenMeanVersusSeqMeanTokenMean) {
  // Rows: [1 2 3] (3 tokens), [4] (1 token), and a row without actions.
  const auto loss = torch::tensor({{1.0, 2.0, 3.0}, {4.0, 0.0, 0.0}, {9.0, 9.0, 9.0}});
  const auto mask = torch::tensor({{1.0, 1.0, 1.0}, {1.0, 0.0, 0.0}, {0.0, 0.0, 0.0}});
  // token-mean: (1+2+3+4)/4 = 2.5; seq-mean-token-mean: (mean(1,2,3) + 4) / 2 = 3.0 (empty row left out)
  EXPECT_DOUBLE_EQ(AggregateLoss(loss, mask, LossAggregation::kTokenMean).item<double>(), 2.5);
  EXPECT_DOUBLE_EQ(AggregateLoss(loss, mask, LossAggregation::kSeqMeanTokenMean).item<double>(), 3.0);
}

TEST(TokenRewards, ScoreOnLastActionKlOnEveryAction) {
  // Row 0 stopped at EOS (index 2); row 1 was truncated at its last sampled token (index 1) and a tool then
  // appended a token (mask 0), which gets neither score nor penalty.
  const auto mask = torch::tensor({{1.0, 1.0, 1.0, 0.0}, {1.0, 1.0, 0.0, 0.0}});
  const auto kl = torch::tensor({{0.1, 0.2, 0.3, 9.0}, {0.5, -0.5, 9.0, 9.0}});
  const auto scores = torch::tensor({1.0, 0.1});
  EXPECT_EQ(LastActionIndex(mask), (std::vector<int64_t>{2, 1}));
  // row 0: -0.1*[0.1, 0.2, 0.3] + [0, 0, 1] = [-0.01, -0.02, 0.97, 0]
  // row 1: -0.1*[0.5, -0.5] + [0, 0.1]      = [-0.05, 0.15, 0, 0]
  ExpectNear(TokenRewards(scores, mask, kl * mask, 0.1), {-0.01, -0.02, 0.97, 0.0, -0.05, 0.15, 0.0, 0.0});
  // beta 0: the score alone.
  ExpectNear(TokenRewards(scores, mask, kl * mask, 0.0), {0, 0, 1, 0, 0, 0.1, 0, 0});
  // A tool token between actions: the score still lands on the last action.
  EXPECT_EQ(LastActionIndex(torch::tensor({{1.0, 0.0, 1.0, 0.0}})), (std::vector<int64_t>{2}));
}

TEST(Gae, GammaOneLambdaPointNineFive) {
  const auto rewards = torch::tensor({{0.0, 0.0, 1.0}});
  const auto values = torch::tensor({{0.5, 0.6, 0.7}});
  const auto mask = torch::ones({1, 3});
  // t=2: delta = 1 - 0.7 = 0.3, A = 0.3
  // t=1: delta = 0.7 - 0.6 = 0.1, A = 0.1 + 0.95*0.3 = 0.385
  // t=0: delta = 0.6 - 0.5 = 0.1, A = 0.1 + 0.95*0.385 = 0.46575
  Gae g = ComputeGae(rewards, values, mask, 1.0, 0.95);
  ExpectNear(g.advantages, {0.46575, 0.385, 0.3});
  ExpectNear(g.returns, {0.96575, 0.985, 1.0});  // A + V
}

TEST(Gae, SkipsMaskedPositionsAndDiscounts) {
  const auto rewards = torch::tensor({{0.0, 0.0, 1.0}});
  const auto values = torch::tensor({{0.5, 9.0, 0.7}});
  const auto mask = torch::tensor({{1.0, 0.0, 1.0}});
  // gamma 1: t=2 A = 0.3; t=0: delta = 0.7 - 0.5 = 0.2, A = 0.2 + 0.95*0.3 = 0.485
  Gae g = ComputeGae(rewards, values, mask, 1.0, 0.95);
  ExpectNear(g.advantages, {0.485, 0.0, 0.3});
  ExpectNear(g.returns, {0.985, 0.0, 1.0});
  // gamma 0.9: t=2 A = 0.3; t=0: delta = 0.9*0.7 - 0.5 = 0.13, A = 0.13 + 0.9*0.95*0.3 = 0.3865
  ExpectNear(ComputeGae(rewards, values, mask, 0.9, 0.95).advantages, {0.3865, 0.0, 0.3});
}

TEST(Whitening, MaskedWithAndWithoutMeanShift) {
  const auto x = torch::tensor({1.0, 3.0, 5.0, 100.0}), mask = torch::tensor({1.0, 1.0, 1.0, 0.0});
  // mean 3, unbiased var (4+0+4)/2 = 4, std 2
  ExpectNear(MaskedWhiten(x, mask, true), {-1.0, 0.0, 1.0, 0.0});
  ExpectNear(MaskedWhiten(x, mask, false), {2.0, 3.0, 4.0, 0.0});  // mean added back
  EXPECT_DOUBLE_EQ(MaskedMean(x, mask).item<double>(), 3.0);
}

TEST(PolicyLoss, ClippedObjectiveAndItsGradient) {
  // ratios 1.5, 0.5, 1.1; advantages 1, 1, -1; clip 0.2
  //   t0: max(-1.5, -1.2) = -1.2 (clipped: no gradient)
  //   t1: max(-0.5, -0.8) = -0.5 (unclipped)
  //   t2: max(1.1, 1.1)   = 1.1  (inside the range)
  // token-mean = (-1.2 - 0.5 + 1.1) / 3 = -0.2; clipfrac 1/3
  auto old_logp = torch::tensor({-1.0, -1.0, -1.0});
  auto logp = (old_logp + torch::log(torch::tensor({1.5, 0.5, 1.1}))).detach().requires_grad_(true);
  const auto adv = torch::tensor({1.0, 1.0, -1.0}), mask = torch::ones({3});
  PolicyLoss pl = ClippedPolicyLoss(logp.unsqueeze(0), old_logp.unsqueeze(0), adv.unsqueeze(0), mask.unsqueeze(0),
                                    0.2, LossAggregation::kTokenMean);
  EXPECT_NEAR(pl.loss.item<double>(), -0.2, 1e-6);
  EXPECT_NEAR(pl.clipfrac, 1.0 / 3, 1e-6);
  // approx KL = mean(old - new) = -(ln 1.5 + ln 0.5 + ln 1.1) / 3
  EXPECT_NEAR(pl.approx_kl, -(std::log(1.5) + std::log(0.5) + std::log(1.1)) / 3, 1e-6);
  pl.loss.backward();
  // d/dlogp of -A*ratio/3 = -A*ratio/3 where unclipped: [0, -0.5/3, 1.1/3]
  ExpectNear(logp.grad(), {0.0, -0.5 / 3, 1.1 / 3});
}

TEST(ValueLoss, ClippedAroundOldValues) {
  // t0: (1-2)^2 = 1; clipped 0.5+0.2 = 0.7 -> (0.7-2)^2 = 1.69; max 1.69
  // t1: (0-0)^2 = 0; clipped 0.5-0.2 = 0.3 -> 0.09; max 0.09
  // 0.5 * (1.69 + 0.09) / 2 = 0.445
  const auto v = torch::tensor({{1.0, 0.0}}), old = torch::tensor({{0.5, 0.5}}), ret = torch::tensor({{2.0, 0.0}});
  EXPECT_NEAR(ClippedValueLoss(v, old, ret, torch::ones({1, 2}), 0.2, LossAggregation::kTokenMean).item<double>(),
              0.445, 1e-6);  // float32
}

TEST(Grpo, GroupNormalisedAdvantages) {
  const auto r = torch::tensor({1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.1, 0.0});
  // group 1: mean 0.5, unbiased std sqrt(1/3) = 0.57735 -> +-0.866025
  // group 2: mean 0.525, deviations [.475 .475 -.425 -.525], unbiased var 0.9075/3 = 0.3025, std 0.55
  //          -> [0.863636, 0.863636, -0.772727, -0.954545]
  ExpectNear(GrpoAdvantages(r, 4, true),
             {0.866025, -0.866025, -0.866025, 0.866025, 0.863636, 0.863636, -0.772727, -0.954545}, 1e-5);
  // Dr. GRPO: r - mean
  ExpectNear(GrpoAdvantages(r, 4, false), {0.5, -0.5, -0.5, 0.5, 0.475, 0.475, -0.425, -0.525});
  // Equal rewards in a group: no signal, not a division by zero.
  ExpectNear(GrpoAdvantages(torch::tensor({1.0, 1.0}), 2, true), {0.0, 0.0});
  EXPECT_THROW(GrpoAdvantages(r, 3, true), std::invalid_argument);
}

TEST(AdaptiveKl, ProportionalControlClippedAtTwentyPercent) {
  AdaptiveKl c{0.1, 6.0, 10000};
  c.Update(12.0, 64);  // error clip(12/6 - 1) = 0.2 -> beta * (1 + 0.2*64/10000)
  EXPECT_NEAR(c.beta, 0.1 * 1.00128, 1e-12);
  AdaptiveKl d{0.1, 6.0, 10000};
  d.Update(3.0, 64);   // error -0.5 -> -0.2
  EXPECT_NEAR(d.beta, 0.1 * (1 - 0.00128), 1e-12);
}

TEST(Entropy, OfSoftmaxRows) {
  // uniform over 2: ln 2; p = [0.25, 0.75]: -(0.25 ln 0.25 + 0.75 ln 0.75) = 0.5623351
  ExpectNear(EntropyFromLogits(torch::tensor({{0.0, 0.0}, {0.0, std::log(3.0)}})),
             {std::log(2.0), -(0.25 * std::log(0.25) + 0.75 * std::log(0.75))});
}

}  // namespace
