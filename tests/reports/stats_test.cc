// McNemar exact p-values against hand-computed binomial tails, the seeded paired bootstrap, and the
// unpaired z-test fallback.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
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

namespace {

// Two-sided Student-t p-values against closed forms (df 1: 1 - 2 atan|t| / pi; df 2: 1 - |t| / sqrt(2 + t^2);
// df 4: 1 - |t| (t^2 + 6) / (t^2 + 4)^1.5) and against Simpson integration of the density for the rest
// (the 95% table values give 0.05; a non-integer df as Welch's test produces).
TEST(StudentT, TwoSidedPValuesMatchClosedFormsAndIntegration) {
  using reports::stats::StudentTTwoSidedPValue;
  struct Case {
    double t, df, expected, tolerance;
  };
  const Case cases[] = {
      {0.0, 5.0, 1.0, 1e-12},
      {1.0, 1.0, 0.5, 1e-12},
      {-1.0, 1.0, 0.5, 1e-12},
      {2.0, 2.0, 1.0 - 2.0 / std::sqrt(6.0), 1e-12},
      {3.6742346141747673, 4.0, 0.021311641128756498, 1e-12},
      {12.7062, 1.0, 0.0500000186, 1e-9},
      {2.2281, 10.0, 0.0500032936, 1e-9},
      {2.5, 7.3, 0.0396502347, 1e-9},
      {40.0, 3.0, 3.438068078909229e-05, 1e-12},  // df 3: 1 - (2/pi)(atan(t/sqrt 3) + sqrt(3) t/(3 + t^2))
  };
  for (const Case& c : cases) {
    EXPECT_NEAR(StudentTTwoSidedPValue(c.t, c.df), c.expected, c.tolerance) << "t " << c.t << " df " << c.df;
  }
  EXPECT_EQ(StudentTTwoSidedPValue(INFINITY, 3.0), 0.0);
  EXPECT_THROW(StudentTTwoSidedPValue(1.0, 0.0), std::invalid_argument);
}

// Welch's test by hand: {1,2,3} against {4,5,6}: means 2 and 5, variances 1, t = 3 / sqrt(2/3) = 3.674,
// df = (2/3)^2 / (2 (1/3)^2 / 2) = 4, p = 0.02131 (df-4 closed form above).
TEST(Welch, HandComputedExampleAndEdgeCases) {
  using reports::stats::WelchTTest;
  const auto r = WelchTTest({1, 2, 3}, {4, 5, 6});
  EXPECT_TRUE(r.tested);
  EXPECT_DOUBLE_EQ(r.base_mean, 2.0);
  EXPECT_DOUBLE_EQ(r.new_mean, 5.0);
  EXPECT_NEAR(r.t, 3.6742346141747673, 1e-12);
  EXPECT_NEAR(r.df, 4.0, 1e-12);
  EXPECT_NEAR(r.p_value, 0.021311641128756498, 1e-12);
  // Unequal spreads and sizes: {0, 10} against {4, 5, 6}: se^2 = 50/2 + 1/3, df = se^4 / ((25^2)/1 + (1/3)^2/2).
  const auto u = WelchTTest({0, 10}, {4, 5, 6});
  const double se2 = 25.0 + 1.0 / 3.0;
  EXPECT_NEAR(u.t, 0.0, 1e-12);
  EXPECT_NEAR(u.df, se2 * se2 / (625.0 + 1.0 / 18.0), 1e-9);
  EXPECT_NEAR(u.p_value, 1.0, 1e-12);
  // One seed on a side: not tested. No spread: p 0 when the means differ, 1 when equal. NaN left out.
  EXPECT_FALSE(WelchTTest({1}, {2, 3}).tested);
  EXPECT_EQ(WelchTTest({1}, {2, 3}).p_value, 1.0);
  EXPECT_EQ(WelchTTest({1, 1}, {2, 2}).p_value, 0.0);
  EXPECT_EQ(WelchTTest({1, 1}, {1, 1}).p_value, 1.0);
  const auto n = WelchTTest({1, 2, 3, NAN}, {4, 5, 6});
  EXPECT_EQ(n.base_n, 3);
  EXPECT_NEAR(n.p_value, 0.021311641128756498, 1e-12);
}

}  // namespace
