#include "tasks/metrics/metrics.h"

#include <gtest/gtest.h>

namespace {

using tasks::ExtractedAnswer;
using namespace tasks::metrics;

ExtractedAnswer A(const std::string& v) { return {true, v, v, "test", ""}; }
ExtractedAnswer Invalid() { return {false, "", "", "none", ""}; }

TEST(PassAtK, HandComputedValues) {
  struct Case { int n, c, k; double expected; } cases[] = {
      {5, 2, 1, 0.4},          {5, 2, 2, 0.7},       {10, 0, 5, 0.0},  {4, 1, 4, 1.0},
      {10, 3, 3, 1.0 - 35.0 / 120.0}, {1, 1, 1, 1.0}, {1, 0, 1, 0.0}, {16, 8, 8, 1.0 - 1.0 / 12870.0},
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(PassAtK(c.n, c.c, c.k), c.expected, 1e-12) << c.n << " " << c.c << " " << c.k;
  }
  EXPECT_THROW(PassAtK(3, 1, 4), std::invalid_argument);
  EXPECT_THROW(PassAtK(3, 4, 1), std::invalid_argument);
}

TEST(Wilson, MatchesPublishedInterval) {
  double lo, hi;
  WilsonInterval(8, 10, 1.959963984540054, &lo, &hi);
  EXPECT_NEAR(lo, 0.4902, 1e-4);
  EXPECT_NEAR(hi, 0.9433, 1e-4);
  WilsonInterval(0, 20, 1.959963984540054, &lo, &hi);  // stays informative at 0%
  EXPECT_EQ(lo, 0.0);
  EXPECT_NEAR(hi, 0.1611, 1e-4);
}

TEST(MeanEstimate, BesselStderrAndIntervals) {
  Estimate e = MeanEstimate({1, 0, 1, 1});
  EXPECT_DOUBLE_EQ(e.value, 0.75);
  EXPECT_DOUBLE_EQ(e.stderr_, 0.25);
  EXPECT_EQ(e.n, 4);
  EXPECT_LT(e.ci_low, 0.75);
  EXPECT_GT(e.ci_high, 0.75);
  Estimate f = MeanEstimate({0.5, 0.25});  // non-binary: normal interval
  EXPECT_DOUBLE_EQ(f.value, 0.375);
  EXPECT_NEAR(f.stderr_, 0.125, 1e-12);
  EXPECT_NEAR(f.ci_low, 0.375 - 1.959963984540054 * 0.125, 1e-12);
  EXPECT_EQ(MeanEstimate({}).n, 0);
}

TEST(MajorityVote, InvalidNeverWinsAndTiesGoToFirstSeen) {
  // Three failed extractions against one real answer: the real answer wins.
  auto v = MajorityVote({Invalid(), Invalid(), A("7"), Invalid()}, 4);
  EXPECT_TRUE(v.has_winner);
  EXPECT_EQ(v.value, "7");
  EXPECT_EQ(v.winner_index, 2);
  // Tie 2-2: the answer seen first wins, and the tie is reported.
  v = MajorityVote({A("5"), A("3"), A("3"), A("5")}, 4);
  EXPECT_EQ(v.value, "5");
  EXPECT_TRUE(v.tied);
  // Clear majority.
  v = MajorityVote({A("5"), A("3"), A("3")}, 3);
  EXPECT_EQ(v.value, "3");
  EXPECT_EQ(v.votes, 2);
  EXPECT_FALSE(v.tied);
  // Only the first k count.
  v = MajorityVote({A("1"), A("2"), A("2"), A("2")}, 1);
  EXPECT_EQ(v.value, "1");
  // Nothing valid: no winner.
  EXPECT_FALSE(MajorityVote({Invalid(), Invalid()}, 2).has_winner);
}

TEST(Rerank, HighestScoreAmongValid) {
  EXPECT_EQ(RerankPick({A("1"), Invalid(), A("2")}, {0.1, 0.9, 0.5}, 3), 2);
  EXPECT_EQ(RerankPick({A("1"), A("2")}, {0.5, 0.5}, 2), 0);
  EXPECT_EQ(RerankPick({Invalid()}, {1.0}, 1), -1);
  EXPECT_EQ(RerankPick({A("1"), A("2"), A("3")}, {0.1, 0.2, 0.9}, 2), 1);
}

TEST(Aggregates, AccuracyMajPassAvgOnSmallSet) {
  std::vector<ProblemSamples> problems(3);
  // Problem 0: first sample right, majority wrong.
  problems[0] = {{A("4"), A("5"), A("5")}, {true, false, false}, {0.9, 0.1, 0.2}};
  // Problem 1: first wrong, majority right.
  problems[1] = {{A("1"), A("2"), A("2")}, {false, true, true}, {0.8, 0.1, 0.3}};
  // Problem 2: all extractions failed.
  problems[2] = {{Invalid(), Invalid(), Invalid()}, {false, false, false}, {0.1, 0.2, 0.3}};
  EXPECT_NEAR(Accuracy(problems).value, 1.0 / 3, 1e-12);
  EXPECT_NEAR(MajAtK(problems, 3).value, 1.0 / 3, 1e-12);
  EXPECT_NEAR(MajAtK(problems, 1).value, 1.0 / 3, 1e-12);
  EXPECT_NEAR(AvgAtK(problems, 3).value, (1.0 / 3 + 2.0 / 3 + 0) / 3, 1e-12);
  EXPECT_NEAR(PassAtKEstimate(problems, 1).value, (1.0 / 3 + 2.0 / 3) / 3, 1e-12);
  EXPECT_NEAR(PassAtKEstimate(problems, 3).value, 2.0 / 3, 1e-12);
  // Rerank picks sample 0 for problem 0 (right) and sample 0 for problem 1 (wrong).
  EXPECT_NEAR(RerankAtK(problems, 3).value, 1.0 / 3, 1e-12);
}

}  // namespace
