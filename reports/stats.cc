// Implementation of the comparison tests declared in stats.h.
#include "reports/stats.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "harness/util/hashing.h"

namespace reports::stats {

double McNemarExactPValue(long b, long c) {
  if (b < 0 || c < 0) throw std::invalid_argument("McNemarExactPValue: negative count");
  const long n = b + c;
  if (n == 0) return 1.0;
  const long k = std::min(b, c);
  // Sum the binomial tail in log space so that n in the thousands does not overflow.
  const double log_half_n = -static_cast<double>(n) * std::log(2.0);
  const double log_n_fact = std::lgamma(static_cast<double>(n) + 1.0);
  double tail = 0.0;
  for (long i = 0; i <= k; ++i) {
    const double log_choose = log_n_fact - std::lgamma(static_cast<double>(i) + 1.0) -
                              std::lgamma(static_cast<double>(n - i) + 1.0);
    tail += std::exp(log_choose + log_half_n);
  }
  return std::min(1.0, 2.0 * tail);
}

double NormalTwoSidedPValue(double z) { return std::erfc(std::fabs(z) / std::sqrt(2.0)); }

double UnpairedZPValue(double base_mean, double base_stderr, double new_mean, double new_stderr) {
  const double se = std::sqrt(base_stderr * base_stderr + new_stderr * new_stderr);
  const double diff = new_mean - base_mean;
  if (se == 0.0) return diff == 0.0 ? 1.0 : 0.0;
  return NormalTwoSidedPValue(diff / se);
}

BootstrapResult PairedBootstrap(const std::vector<double>& base, const std::vector<double>& new_scores,
                                int iterations, uint64_t seed) {
  if (base.size() != new_scores.size()) throw std::invalid_argument("PairedBootstrap: size mismatch");
  if (iterations < 1) throw std::invalid_argument("PairedBootstrap: iterations < 1");
  BootstrapResult out;
  out.iterations = iterations;
  const size_t n = base.size();
  if (n == 0) return out;
  std::vector<double> diff(n);
  bool all_zero = true;
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) {
    diff[i] = new_scores[i] - base[i];
    total += diff[i];
    all_zero = all_zero && diff[i] == 0.0;
  }
  out.mean_difference = total / static_cast<double>(n);
  if (all_zero) return out;

  util::SplitMix64 rng(seed);
  std::vector<double> means(static_cast<size_t>(iterations));
  long at_or_below = 0;
  long at_or_above = 0;
  for (int it = 0; it < iterations; ++it) {
    double sum = 0.0;
    for (size_t j = 0; j < n; ++j) sum += diff[rng.Below(n)];
    const double m = sum / static_cast<double>(n);
    means[static_cast<size_t>(it)] = m;
    if (m <= 0.0) ++at_or_below;
    if (m >= 0.0) ++at_or_above;
  }
  std::sort(means.begin(), means.end());
  auto quantile = [&](double q) {
    const double pos = q * static_cast<double>(iterations - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, means.size() - 1);
    return means[lo] + (pos - static_cast<double>(lo)) * (means[hi] - means[lo]);
  };
  out.ci_low = quantile(0.025);
  out.ci_high = quantile(0.975);
  // +1 in numerator and denominator: the observed statistic counts as one resample (Davison & Hinkley
  // 1997, eq. 4.11), so the p-value is never exactly 0 from a finite number of resamples.
  const double tail = static_cast<double>(std::min(at_or_below, at_or_above) + 1) / (iterations + 1);
  out.p_value = std::min(1.0, 2.0 * tail);
  return out;
}

double StudentT975(int df) {
  if (df < 1) throw std::invalid_argument("StudentT975: df < 1");
  static constexpr double kTable[] = {12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
                                      2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
                                      2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423};
  if (df <= 30) return kTable[df - 1];
  const double z = 1.959963984540054, v = static_cast<double>(df);
  const double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
  return z + (z3 + z) / (4 * v) + (5 * z5 + 16 * z3 + 3 * z) / (96 * v * v) +
         (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * v * v * v);
}

namespace {

// Mean and sample variance (n - 1 in the denominator) of the finite values, and their count; mean NaN
// when there are none, variance NaN when there are fewer than two.
struct FiniteMoments {
  double mean = NAN, variance = NAN;
  int n = 0;
};

FiniteMoments MomentsOf(const std::vector<double>& values) {
  FiniteMoments out;
  double sum = 0.0;
  for (double v : values) {
    if (std::isfinite(v)) sum += v, ++out.n;
  }
  if (out.n == 0) return out;
  out.mean = sum / out.n;
  if (out.n < 2) return out;
  double squares = 0.0;
  for (double v : values) {
    if (std::isfinite(v)) squares += (v - out.mean) * (v - out.mean);
  }
  out.variance = squares / (out.n - 1);
  return out;
}

}  // namespace

MeanInterval MeanWithTInterval(const std::vector<double>& values) {
  const FiniteMoments moments = MomentsOf(values);
  MeanInterval out;
  out.mean = moments.mean;
  out.n = moments.n;
  out.half = moments.n < 2 ? NAN
                           : StudentT975(moments.n - 1) * std::sqrt(moments.variance) /
                                 std::sqrt(static_cast<double>(moments.n));
  return out;
}

namespace {

// The continued fraction of the incomplete beta function (A&S 26.5.8), by the modified Lentz method.
double BetaContinuedFraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300, kEpsilon = 1e-15;
  double c = 1.0, d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double result = d;
  // One Lentz step with continued-fraction coefficient `term`; returns the factor it applied.
  const auto step = [&](double term) {
    d = 1.0 + term * d;
    c = 1.0 + term / c;
    if (std::fabs(d) < kTiny) d = kTiny;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    result *= d * c;
    return d * c;
  };
  for (int m = 1; m <= 500; ++m) {
    const double m2 = 2.0 * m;
    // Even step: d_{2m} = m (b - m) x / ((a + 2m - 1)(a + 2m)).
    step(m * (b - m) * x / ((a + m2 - 1.0) * (a + m2)));
    // Odd step: d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    const double delta = step(-(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0)));
    if (std::fabs(delta - 1.0) < kEpsilon) break;
  }
  return result;
}

// I_x(a, b), the regularized incomplete beta function, 0 <= x <= 1.
double RegularizedBeta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double front =
      std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x));
  // The fraction converges fast for x < (a + 1) / (a + b + 2); otherwise use I_x(a,b) = 1 - I_{1-x}(b,a).
  if (x < (a + 1.0) / (a + b + 2.0)) return front * BetaContinuedFraction(a, b, x) / a;
  return 1.0 - front * BetaContinuedFraction(b, a, 1.0 - x) / b;
}

}  // namespace

double StudentTTwoSidedPValue(double t, double df) {
  if (!(df > 0.0)) throw std::invalid_argument("StudentTTwoSidedPValue: df <= 0");
  if (!std::isfinite(t)) return 0.0;
  return RegularizedBeta(df / 2.0, 0.5, df / (df + t * t));
}

WelchResult WelchTTest(const std::vector<double>& base, const std::vector<double>& new_values) {
  const FiniteMoments b = MomentsOf(base), n = MomentsOf(new_values);
  WelchResult out;
  out.base_mean = b.mean;
  out.new_mean = n.mean;
  out.base_n = b.n;
  out.new_n = n.n;
  if (out.base_n < 2 || out.new_n < 2) return out;
  out.tested = true;
  const double base_term = b.variance / out.base_n, new_term = n.variance / out.new_n;
  const double se2 = base_term + new_term;
  if (se2 == 0.0) {
    out.p_value = out.new_mean == out.base_mean ? 1.0 : 0.0;
    return out;
  }
  out.t = (out.new_mean - out.base_mean) / std::sqrt(se2);
  // Welch–Satterthwaite degrees of freedom.
  out.df = se2 * se2 / (base_term * base_term / (out.base_n - 1) + new_term * new_term / (out.new_n - 1));
  out.p_value = StudentTTwoSidedPValue(out.t, out.df);
  return out;
}

}  // namespace reports::stats
