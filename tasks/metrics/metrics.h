// Sample-aggregation metrics with error bars: accuracy, maj@k, rerank@k, pass@k, avg@k.
// Pure functions over per-problem data; no I/O. Formulas cite their sources (eval_anchors.md §2.8).
#pragma once

#include <string>
#include <vector>

#include "tasks/answer.h"

namespace tasks::metrics {

// A mean over problems with its standard error and a 95% interval.
struct Estimate {
  double value = 0.0;
  double stderr_ = 0.0;   // sample standard deviation (Bessel) / sqrt(n), as lm-eval's mean stderr
  double ci_low = 0.0;    // Wilson score interval for proportions, else mean ± 1.96·stderr clipped to [0,1]
  double ci_high = 0.0;
  int n = 0;
};

// Mean of per-problem scores in [0,1]. When every score is 0 or 1 the interval is Wilson's (it behaves at
// 0% and 100%, where the normal interval collapses); otherwise mean ± 1.96·stderr clipped to [0,1].
Estimate MeanEstimate(const std::vector<double>& per_problem);

// Wilson score interval for `successes` out of `n` at normal quantile z (1.96 → 95%).
void WilsonInterval(double successes, int n, double z, double* low, double* high);

// Unbiased pass@k (Chen et al. 2021, "Evaluating Large Language Models Trained on Code", eq. 1):
// 1 - C(n-c, k) / C(n, k), computed as 1 - prod_{i=n-c+1}^{n} (1 - k/i). REQUIRES: 0 <= c <= n, 1 <= k <= n.
double PassAtK(int n, int c, int k);

// Majority vote over the first k answers. Failed extractions (valid == false) never vote. Ties go to the
// answer whose first occurrence is earliest (lm-eval's Counter.most_common order, made explicit).
struct VoteOutcome {
  bool has_winner = false;   // false when none of the first k answers is valid: the problem counts as wrong
  int winner_index = -1;     // index of the first sample carrying the winning answer
  std::string value;
  int votes = 0;
  bool tied = false;         // another answer had as many votes and lost on first occurrence
};
VoteOutcome MajorityVote(const std::vector<ExtractedAnswer>& answers, int k);

// Reranking: among the first k samples with a valid answer, the one with the highest supplied score
// (Qwen2.5-Math rm@k). Ties go to the earliest sample. -1 when no sample has a valid answer.
int RerankPick(const std::vector<ExtractedAnswer>& answers, const std::vector<double>& scores, int k);

// Per-problem inputs for the aggregate metrics below.
struct ProblemSamples {
  std::vector<ExtractedAnswer> answers;   // one per sample, in generation order
  std::vector<bool> correct;              // one per sample
  std::vector<double> scores;             // optional reranker scores, one per sample
};

// Aggregates across problems; each returns an Estimate over problems.
Estimate Accuracy(const std::vector<ProblemSamples>& problems);        // first sample only
Estimate AvgAtK(const std::vector<ProblemSamples>& problems, int k);    // mean correctness of first k
Estimate PassAtKEstimate(const std::vector<ProblemSamples>& problems, int k);  // uses all n samples
// maj@k: correctness of the voted answer, read from the winning sample's flag.
Estimate MajAtK(const std::vector<ProblemSamples>& problems, int k);
Estimate RerankAtK(const std::vector<ProblemSamples>& problems, int k);

}  // namespace tasks::metrics
