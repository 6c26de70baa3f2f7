// McNemar exact p-values against hand-computed binomial tails, the seeded paired bootstrap, and the
// unpaired z-test fallback.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "reports/stats.h"

namespace {

using reports::stats::McNemarExactPValue;

struct McNemarCase {
  long b, c;
  double expected;  // 2 * sum_{i<=min(b,c)} C(b+c,i) / 2^(b+c), capped at 1
};

TEST(McNemarExact, MatchesHandComputedBinomialTails) {
  const McNemarCase cases[] = {
      {0, 0, 1.0},                        // no discordant pairs
      {1, 0, 1.0},                        // 2 * 1/2
      {0, 5, 0.0625},                     // 2 * 1/32
      {0, 6, 0.03125},                    // 2 * 1/64
      {2, 8, 0.109375},                   // 2 * (1+10+45)/1024
      {8, 2, 0.109375},                   // symmetric
      {3, 12, 0.03515625},                // 2 * (1+15+105+455)/32768
      {15, 0, 6.103515625e-05},           // 2 / 2^15
      {10, 10, 1.0},                      // capped
      {5, 6, 1.0},                        // 2 * (sum_{i<=5} C(11,i))/2048 = 2 * 1024/2048
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(McNemarExactPValue(c.b, c.c), c.expected, 1e-12) << "b=" << c.b << " c=" << c.c;
  }
}

TEST(McNemarExact, LargeCountsStayFinite) {
  // n = 2000 would overflow a direct binomial coefficient; the log-space sum must not.
  const double p = McNemarExactPValue(1000, 1000);
  EXPECT_DOUBLE_EQ(p, 1.0);
  const double q = McNemarExactPValue(900, 1100);
  EXPECT_GT(q, 0.0);
  EXPECT_LT(q, 1e-4);
}

TEST(UnpairedZ, KnownValues) {
  // z = -0.1 / sqrt(0.03^2 + 0.04^2) = -2 → p = erfc(2/sqrt 2) = 0.0455002638963584
  EXPECT_NEAR(reports::stats::UnpairedZPValue(0.5, 0.03, 0.4, 0.04), 0.0455002638963584, 1e-12);
  EXPECT_DOUBLE_EQ(reports::stats::UnpairedZPValue(0.5, 0.0, 0.5, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(reports::stats::UnpairedZPValue(0.5, 0.0, 0.6, 0.0), 0.0);
  EXPECT_NEAR(reports::stats::NormalTwoSidedPValue(1.959963984540054), 0.05, 1e-12);
}

TEST(PairedBootstrap, IdenticalScoresGiveNoDifference) {
  std::vector<double> a = {1, 0, 1, 1, 0, 0.5};
  auto r = reports::stats::PairedBootstrap(a, a, 1000, 1);
  EXPECT_DOUBLE_EQ(r.mean_difference, 0.0);
  EXPECT_DOUBLE_EQ(r.p_value, 1.0);
}

TEST(PairedBootstrap, UniformImprovementIsSignificant) {
  std::vector<double> base(30, 0.0), better(30, 1.0);
  auto r = reports::stats::PairedBootstrap(base, better, 999, 7);
  EXPECT_DOUBLE_EQ(r.mean_difference, 1.0);
  EXPECT_DOUBLE_EQ(r.ci_low, 1.0);
  EXPECT_DOUBLE_EQ(r.ci_high, 1.0);
  EXPECT_DOUBLE_EQ(r.p_value, 2.0 / 1000.0);  // (0 + 1) / (999 + 1), two-sided
}

TEST(PairedBootstrap, SeededAndReproducible) {
  std::vector<double> base = {1, 0, 1, 0, 1, 1, 0, 0, 1, 0};
  std::vector<double> neu = {1, 1, 1, 0, 0, 1, 1, 0, 1, 1};
  auto a = reports::stats::PairedBootstrap(base, neu, 2000, 42);
  auto b = reports::stats::PairedBootstrap(base, neu, 2000, 42);
  EXPECT_DOUBLE_EQ(a.p_value, b.p_value);
  EXPECT_DOUBLE_EQ(a.ci_low, b.ci_low);
  EXPECT_NEAR(a.mean_difference, 0.2, 1e-12);
  EXPECT_LT(a.ci_low, 0.2);
  EXPECT_GT(a.ci_high, 0.2);
  EXPECT_GT(a.p_value, 0.05);  // 3 gains, 1 loss out of 10: not significant
}

}  // namespace
