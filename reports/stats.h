// Significance tests for run-vs-run comparison: McNemar's exact test for paired binary outcomes,
// a seeded paired bootstrap for per-problem scores in [0,1], and an unpaired z-test as the fallback
// when per-sample data are missing. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <vector>

namespace reports::stats {

// McNemar's exact test (two-sided), i.e. a binomial test of b successes in b + c trials at p = 1/2:
//   p = min(1, 2 * sum_{i=0}^{min(b,c)} C(b+c, i) / 2^(b+c)),   p = 1 when b + c = 0.
// b = problems the base run got right and the new run got wrong, c = the reverse
// (McNemar 1947; the exact form as in Agresti, "Categorical Data Analysis", §10.1.4).
double McNemarExactPValue(long b, long c);

// Two-sided p-value of a standard normal statistic: P(|Z| >= |z|) = erfc(|z| / sqrt(2)).
double NormalTwoSidedPValue(double z);

// Unpaired z-test for a difference of two means with known standard errors.
// Returns 1 when both standard errors are zero and the means are equal, 0 when they differ.
double UnpairedZPValue(double base_mean, double base_stderr, double new_mean, double new_stderr);

struct BootstrapResult {
  double mean_difference = 0.0;  // mean(new - base) over the paired problems
  double ci_low = 0.0;           // 2.5th / 97.5th percentiles of the resampled mean difference
  double ci_high = 0.0;
  double p_value = 1.0;          // two-sided: 2 * min(P*(d <= 0), P*(d >= 0)), with the +1 correction
  int iterations = 0;
};

// Paired bootstrap over problems: resample problem indices with replacement (util::SplitMix64(seed)),
// recompute mean(new - base). REQUIRES base.size() == new_scores.size(), iterations >= 1.
// With no problems, or all differences zero, the p-value is 1.
BootstrapResult PairedBootstrap(const std::vector<double>& base, const std::vector<double>& new_scores,
                                int iterations, uint64_t seed);

// The 0.975 quantile of Student's t with `df` degrees of freedom (two-sided 95%): a table for df 1..30
// (12.7062, 4.3027, 3.1824, ...; four decimals), the Cornish–Fisher expansion in 1/df around z = 1.959964
// beyond (Abramowitz & Stegun 26.7.5; 2.0211 at df 40). REQUIRES df >= 1.
double StudentT975(int df);

// Mean of `values` over seeds with the Student-t 95% interval: half = t_{0.975, n-1} · SD / sqrt(n), SD with
// n - 1 in the denominator. Non-finite values are left out; n counts the rest. half is NaN when n < 2, mean
// NaN when n = 0.
struct MeanInterval {
  double mean = 0.0;
  double half = 0.0;
  int n = 0;
};
MeanInterval MeanWithTInterval(const std::vector<double>& values);

// Two-sided p-value of Student's t statistic with `df` (> 0, not necessarily whole) degrees of freedom:
// P(|T| >= |t|) = I_{df/(df+t^2)}(df/2, 1/2), the regularized incomplete beta function evaluated by
// its continued fraction (Abramowitz & Stegun 26.5.8 and 26.7.1). df = 1, t = 1 gives 0.5;
// df = 2, t = 2 gives 1 - 2/sqrt(6).
double StudentTTwoSidedPValue(double t, double df);

// Welch's unequal-variance t-test of two independent samples (values over seeds). Fewer than two values
// on a side: not tested (tested false, p 1). No spread on either side: p is 0 when the means differ, 1
// when they are equal. Non-finite values are left out.
struct WelchResult {
  double base_mean = 0.0, new_mean = 0.0;
  int base_n = 0, new_n = 0;
  double t = 0.0, df = 0.0;
  double p_value = 1.0;
  bool tested = false;
};
WelchResult WelchTTest(const std::vector<double>& base, const std::vector<double>& new_values);

}  // namespace reports::stats
