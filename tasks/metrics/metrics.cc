#include "tasks/metrics/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>

namespace tasks::metrics {

namespace {

constexpr double kZ95 = 1.959963984540054;

}  // namespace

void WilsonInterval(double successes, int n, double z, double* low, double* high) {
  if (n <= 0) {
    *low = 0.0;
    *high = 1.0;
    return;
  }
  const double p = successes / n;
  const double z2 = z * z;
  const double denom = 1.0 + z2 / n;
  const double center = (p + z2 / (2.0 * n)) / denom;
  const double half = z * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom;
  *low = std::max(0.0, center - half);
  *high = std::min(1.0, center + half);
}

Estimate MeanEstimate(const std::vector<double>& per_problem) {
  Estimate e;
  e.n = static_cast<int>(per_problem.size());
  if (e.n == 0) return e;
  double sum = 0.0;
  for (double v : per_problem) sum += v;
  e.value = sum / e.n;
  if (e.n > 1) {
    double sq = 0.0;
    for (double v : per_problem) sq += (v - e.value) * (v - e.value);
    e.stderr_ = std::sqrt(sq / (e.n - 1)) / std::sqrt(static_cast<double>(e.n));
  }
  const bool binary = std::all_of(per_problem.begin(), per_problem.end(),
                                  [](double v) { return v == 0.0 || v == 1.0; });
  if (binary) {
    WilsonInterval(sum, e.n, kZ95, &e.ci_low, &e.ci_high);
  } else {
    e.ci_low = std::max(0.0, e.value - kZ95 * e.stderr_);
    e.ci_high = std::min(1.0, e.value + kZ95 * e.stderr_);
  }
  return e;
}

double PassAtK(int n, int c, int k) {
  if (n < 1 || k < 1 || k > n || c < 0 || c > n) {
    throw std::invalid_argument("PassAtK requires 0 <= c <= n and 1 <= k <= n (n=" + std::to_string(n) +
                                ", c=" + std::to_string(c) + ", k=" + std::to_string(k) + ")");
  }
  if (n - c < k) return 1.0;
  double prod = 1.0;
  for (int i = n - c + 1; i <= n; ++i) prod *= 1.0 - static_cast<double>(k) / i;
  return 1.0 - prod;
}

VoteOutcome MajorityVote(const std::vector<ExtractedAnswer>& answers, int k) {
  VoteOutcome out;
  const int limit = std::min<int>(k, static_cast<int>(answers.size()));
  std::map<std::string, std::pair<int, int>> tally;  // value -> (votes, first index)
  for (int i = 0; i < limit; ++i) {
    if (!answers[i].valid) continue;
    auto [it, inserted] = tally.emplace(answers[i].value, std::make_pair(0, i));
    it->second.first++;
  }
  for (const auto& [value, entry] : tally) {
    const auto [votes, first] = entry;
    if (!out.has_winner || votes > out.votes || (votes == out.votes && first < out.winner_index)) {
      out.tied = out.has_winner && votes == out.votes;
      out.has_winner = true;
      out.value = value;
      out.votes = votes;
      out.winner_index = first;
    } else if (votes == out.votes) {
      out.tied = true;
    }
  }
  return out;
}

int RerankPick(const std::vector<ExtractedAnswer>& answers, const std::vector<double>& scores, int k) {
  const int limit = std::min<int>({k, static_cast<int>(answers.size()), static_cast<int>(scores.size())});
  int best = -1;
  for (int i = 0; i < limit; ++i) {
    if (!answers[i].valid) continue;
    if (best < 0 || scores[i] > scores[best]) best = i;
  }
  return best;
}

Estimate Accuracy(const std::vector<ProblemSamples>& problems) {
  std::vector<double> values;
  values.reserve(problems.size());
  for (const auto& p : problems) values.push_back(!p.correct.empty() && p.correct[0] ? 1.0 : 0.0);
  return MeanEstimate(values);
}

Estimate AvgAtK(const std::vector<ProblemSamples>& problems, int k) {
  std::vector<double> values;
  for (const auto& p : problems) {
    const int limit = std::min<int>(k, static_cast<int>(p.correct.size()));
    int hits = 0;
    for (int i = 0; i < limit; ++i) hits += p.correct[i] ? 1 : 0;
    values.push_back(limit > 0 ? static_cast<double>(hits) / limit : 0.0);
  }
  return MeanEstimate(values);
}

Estimate PassAtKEstimate(const std::vector<ProblemSamples>& problems, int k) {
  std::vector<double> values;
  for (const auto& p : problems) {
    const int n = static_cast<int>(p.correct.size());
    const int c = static_cast<int>(std::count(p.correct.begin(), p.correct.end(), true));
    values.push_back(PassAtK(n, c, k));
  }
  return MeanEstimate(values);
}

Estimate MajAtK(const std::vector<ProblemSamples>& problems, int k) {
  std::vector<double> values;
  for (const auto& p : problems) {
    VoteOutcome vote = MajorityVote(p.answers, k);
    values.push_back(vote.has_winner && p.correct[vote.winner_index] ? 1.0 : 0.0);
  }
  return MeanEstimate(values);
}

Estimate RerankAtK(const std::vector<ProblemSamples>& problems, int k) {
  std::vector<double> values;
  for (const auto& p : problems) {
    int pick = RerankPick(p.answers, p.scores, k);
    values.push_back(pick >= 0 && p.correct[pick] ? 1.0 : 0.0);
  }
  return MeanEstimate(values);
}

}  // namespace tasks::metrics
