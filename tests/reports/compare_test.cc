// `harness compare` through the C++ API and through the binary: identical runs, a regressed run,
// the --max-drop threshold, missing samples (unpaired fallback), and the exit-2 errors.
#include <gtest/gtest.h>

#include <string>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "reports/compare.h"
#include "test_helpers.h"

namespace {

using reports_test::Fixture;

const reports::MetricComparison* FindMetric(const reports::CompareReport& r, const std::string& row,
                                            const std::string& metric) {
  for (const auto& rc : r.rows) {
    if (rc.new_key.Label() != row) continue;
    for (const auto& m : rc.metrics) {
      if (m.metric == metric) return &m;
    }
  }
  return nullptr;
}

TEST(CompareApi, IdenticalRunsShowNoChange) {
  auto r = reports::CompareFiles(Fixture("base/results.json"), Fixture("base/results.json"), {});
  EXPECT_FALSE(r.regression());
  ASSERT_EQ(r.rows.size(), 4u);  // gsm8k and svamp × sft and reft
  for (const auto& row : r.rows) {
    EXPECT_EQ(row.shared_samples, 40);
    EXPECT_EQ(row.flipped_total, 0);
    ASSERT_EQ(row.metrics.size(), 4u);  // accuracy, avg@4, maj@4, pass@4
    for (const auto& m : row.metrics) {
      EXPECT_EQ(m.verdict, reports::Verdict::kNoChange) << m.metric;
      EXPECT_DOUBLE_EQ(m.p_value, 1.0) << m.metric;
      EXPECT_DOUBLE_EQ(m.delta, 0.0);
    }
  }
  const auto* acc = FindMetric(r, "gsm8k/sft/nano/seed1", "accuracy");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->test, "mcnemar-exact");
  const auto* maj = FindMetric(r, "gsm8k/sft/nano/seed1", "maj@4");
  ASSERT_NE(maj, nullptr);
  EXPECT_EQ(maj->test, "paired-bootstrap");
}

TEST(CompareApi, FlippedSamplesFailTheGateNamingTheMetric) {
  // The fixture flips 15 first samples of gsm8k/sft from right to wrong and nothing the other way.
  auto r = reports::CompareFiles(Fixture("base/results.json"), Fixture("regressed/results.json"), {});
  ASSERT_TRUE(r.regression());
  const auto* acc = FindMetric(r, "gsm8k/sft/nano/seed1", "accuracy");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->base_only, 15);
  EXPECT_EQ(acc->new_only, 0);
  EXPECT_NEAR(acc->p_value, 6.103515625e-05, 1e-15);  // 2 / 2^15
  EXPECT_EQ(acc->verdict, reports::Verdict::kWorse);
  EXPECT_TRUE(acc->fails_gate);
  EXPECT_NEAR(acc->delta, -0.375, 1e-9);
  bool named = false;
  for (const auto& f : r.failures) named = named || f.find("gsm8k/sft/nano/seed1: accuracy") != std::string::npos;
  EXPECT_TRUE(named);
  for (const auto& row : r.rows) {
    if (row.new_key.Label() == "gsm8k/sft/nano/seed1") {
      EXPECT_EQ(row.flipped_total, 15);
      ASSERT_EQ(row.flipped.size(), 15u);
      EXPECT_TRUE(row.flipped[0].base_correct);
      EXPECT_FALSE(row.flipped[0].new_correct);
    } else {
      EXPECT_EQ(row.flipped_total, 0) << row.new_key.Label();
    }
  }
  // The untouched rows stay unchanged.
  EXPECT_EQ(FindMetric(r, "svamp/reft/nano/seed1", "accuracy")->verdict, reports::Verdict::kNoChange);
}

TEST(CompareApi, MaxDropAboveTheDropPassesTheGate) {
  reports::CompareOptions options;
  options.max_drop = 0.4;  // accuracy fell by 0.375
  auto r = reports::CompareFiles(Fixture("base/results.json"), Fixture("regressed/results.json"), options);
  EXPECT_FALSE(r.regression());
  EXPECT_EQ(FindMetric(r, "gsm8k/sft/nano/seed1", "accuracy")->verdict, reports::Verdict::kWorse);
}

TEST(CompareApi, HolmAdjustsOverAllTestedMetrics) {
  reports::CompareOptions options;
  options.holm = true;
  auto r = reports::CompareFiles(Fixture("base/results.json"), Fixture("regressed/results.json"), options);
  const auto* acc = FindMetric(r, "gsm8k/sft/nano/seed1", "accuracy");
  ASSERT_NE(acc, nullptr);
  // 16 tested (row, metric) pairs; accuracy has the smallest raw p, so adjusted p = 16 · 2/2^15.
  EXPECT_NEAR(acc->raw_p_value, 6.103515625e-05, 1e-15);
  EXPECT_NEAR(acc->p_value, 16 * 6.103515625e-05, 1e-12);
  EXPECT_EQ(acc->verdict, reports::Verdict::kWorse);
  EXPECT_TRUE(r.regression());
  // maj@4 (raw p ≈ 0.01) does not survive the adjustment; without Holm it fails the gate.
  const auto* maj = FindMetric(r, "gsm8k/sft/nano/seed1", "maj@4");
  ASSERT_NE(maj, nullptr);
  EXPECT_LT(maj->raw_p_value, 0.05);
  EXPECT_GE(maj->p_value, 0.05);
  EXPECT_EQ(maj->verdict, reports::Verdict::kNoChange);
  // Adjusted p-values never decrease along the raw order and never fall below the raw ones.
  for (const auto& row : r.rows) {
    for (const auto& m : row.metrics) EXPECT_GE(m.p_value, m.raw_p_value);
  }
}

TEST(CompareApi, OneExtraCorrectIsNotSignificant) {
  auto r = reports::CompareFiles(Fixture("base/results.json"), Fixture("slightly_better/results.json"), {});
  EXPECT_FALSE(r.regression());
  const auto* acc = FindMetric(r, "svamp/sft/nano/seed1", "accuracy");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->base_only, 0);
  EXPECT_EQ(acc->new_only, 1);
  EXPECT_DOUBLE_EQ(acc->p_value, 1.0);
  EXPECT_EQ(acc->verdict, reports::Verdict::kNoChange);
}

TEST(CompareApi, MissingSamplesFallBackToUnpairedZ) {
  auto r = reports::CompareFiles(Fixture("base/results.json"), Fixture("no_samples/results.json"), {});
  const auto* acc = FindMetric(r, "gsm8k/sft/nano/seed1", "accuracy");
  ASSERT_NE(acc, nullptr);
  EXPECT_EQ(acc->test, "unpaired-z");
  EXPECT_NE(acc->note.find("unpaired"), std::string::npos);
  EXPECT_FALSE(r.regression());
}

TEST(CompareApi, SchemaMismatchIsAnInputError) {
  try {
    reports::CompareFiles(Fixture("base/results.json"), Fixture("schema_v2/results.json"), {});
    FAIL() << "expected InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "schema_version");
    EXPECT_NE(std::string(e.what()).find("schema version 2 does not match"), std::string::npos) << e.what();
  }
}

TEST(CompareApi, NoOverlapIsAnInputErrorListingBothSides) {
  try {
    reports::CompareFiles(Fixture("base/results.json"), Fixture("other_task/results.json"), {});
    FAIL() << "expected InputError";
  } catch (const util::InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no (task, method) rows or study arms in common"), std::string::npos) << what;
    EXPECT_NE(what.find("gsm8k/sft"), std::string::npos) << what;
    EXPECT_NE(what.find("aime/sft"), std::string::npos) << what;
  }
}

TEST(CompareApi, MalformedSamplesNameFileLineAndField) {
  const std::string dir = reports_test::OutputDir("compare_malformed");
  util::WriteFileAtomic(dir + "/results.json", util::ReadFile(Fixture("base/results.json")));
  util::WriteFileAtomic(dir + "/samples.jsonl",
                        "{\"task\":\"gsm8k\",\"method\":\"sft\",\"model\":\"nano\",\"seed\":1,\"id\":\"a\","
                        "\"correct\":[true]}\n"
                        "{\"task\":\"gsm8k\",\"method\":\"sft\",\"model\":\"nano\",\"seed\":1,\"id\":\"b\","
                        "\"correct\":\"yes\"}\n");
  try {
    reports::LoadRun(dir + "/results.json");
    FAIL() << "expected InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().line, 2);
    EXPECT_EQ(e.where().field, "correct");
    EXPECT_NE(e.where().file.find("samples.jsonl"), std::string::npos);
  }
}

TEST(CompareApi, MissingMetricsFieldIsAnInputError) {
  util::Json doc = util::ReadJsonFile(Fixture("base/results.json"));
  doc["results"][1].erase("metrics");
  try {
    reports::ParseResults(doc, "x.json");
    FAIL() << "expected InputError";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "results[1].metrics");
  }
}

// Writes a one-row run with `n` problems into dir: 2 completions each, reranker scores, and the given
// extraction_failure_rate with a stderr so that the unpaired test applies to it.
std::string WriteRun(const std::string& dir, int n, bool rerank_right, double failure_rate) {
  nlohmann::json results = {
      {"schema_version", 1},
      {"results",
       {{{"task", "gsm8k"}, {"method", "sft"}, {"model", "nano"}, {"seed", 1}, {"n", n},
         {"metrics",
          {{"accuracy", 0.0}, {"rerank@2", rerank_right ? 1.0 : 0.0},
           {"extraction_failure_rate", failure_rate}, {"extraction_failure_rate_stderr", 0.01}}}}}}};
  std::vector<util::Json> samples;
  for (int i = 0; i < n; ++i) {
    // Sample 0 wrong, sample 1 right; the reranker prefers sample 1 only in the "right" run.
    samples.push_back({{"task", "gsm8k"}, {"method", "sft"}, {"model", "nano"}, {"seed", 1},
                       {"id", std::to_string(i)}, {"completions", {"a", "b"}}, {"extracted", {"1", "2"}},
                       {"correct", {false, true}},
                       {"scores", rerank_right ? std::vector<double>{0.1, 0.9} : std::vector<double>{0.9, 0.1}}});
  }
  util::WriteFileAtomic(dir + "/results.json", results.dump());
  util::WriteFileAtomic(dir + "/samples.jsonl", util::ToJsonLines(samples));
  return dir + "/results.json";
}

TEST(CompareApi, RerankUsesScoresAndFailureRateIsLowerBetter) {
  const std::string base = WriteRun(reports_test::OutputDir("compare_rerank_base"), 30, true, 0.05);
  const std::string worse = WriteRun(reports_test::OutputDir("compare_rerank_new"), 30, false, 0.20);
  auto r = reports::CompareFiles(base, worse, {});
  const auto* rerank = FindMetric(r, "gsm8k/sft/nano/seed1", "rerank@2");
  ASSERT_NE(rerank, nullptr);
  EXPECT_EQ(rerank->test, "paired-bootstrap");
  EXPECT_EQ(rerank->verdict, reports::Verdict::kWorse);
  const auto* failures = FindMetric(r, "gsm8k/sft/nano/seed1", "extraction_failure_rate");
  ASSERT_NE(failures, nullptr);
  EXPECT_EQ(failures->test, "unpaired-z");
  EXPECT_EQ(failures->verdict, reports::Verdict::kWorse);  // 5% → 20% failed extractions is a regression
  EXPECT_TRUE(failures->fails_gate);
  bool named = false;
  for (const auto& f : r.failures) named = named || f.find("extraction_failure_rate rose from") != std::string::npos;
  EXPECT_TRUE(named);
  // The reverse direction is an improvement on both.
  auto back = reports::CompareFiles(worse, base, {});
  EXPECT_FALSE(back.regression());
  EXPECT_EQ(FindMetric(back, "gsm8k/sft/nano/seed1", "extraction_failure_rate")->verdict, reports::Verdict::kBetter);
  EXPECT_EQ(FindMetric(back, "gsm8k/sft/nano/seed1", "rerank@2")->verdict, reports::Verdict::kBetter);
}

// ---- Through the binary ----

std::string Compare(const std::string& args) { return std::string(HARNESS_BINARY) + " compare " + args; }

TEST(CompareBinary, IdenticalRunsExitZero) {
  auto r = reports_test::RunCommand(Compare(reports_test::Quote(Fixture("base/results.json")) + " " +
                                            reports_test::Quote(Fixture("base/results.json"))));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no significant regression"), std::string::npos) << r.output;
}

TEST(CompareBinary, RegressionExitsOneNamingTheMetricAndWritesHtml) {
  const std::string html = reports_test::OutputDir("compare_binary") + "/diff.html";
  auto r = reports_test::RunCommand(Compare(reports_test::Quote(Fixture("base/results.json")) + " " +
                                            reports_test::Quote(Fixture("regressed/results.json")) +
                                            " --html " + reports_test::Quote(html)));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("regression: gsm8k/sft/nano/seed1: accuracy"), std::string::npos) << r.output;
  const std::string page = util::ReadFile(html);
  EXPECT_NE(page.find("class=\"flipped\""), std::string::npos);
  EXPECT_NE(page.find("gsm8k-0"), std::string::npos);  // a flipped sample id is listed
  EXPECT_EQ(page.find("<script"), std::string::npos);
}

TEST(CompareBinary, JsonOutputAndMaxDrop) {
  auto r = reports_test::RunCommand(Compare(reports_test::Quote(Fixture("base/results.json")) + " " +
                                            reports_test::Quote(Fixture("regressed/results.json")) +
                                            " --json --max-drop 0.5 2>/dev/null"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto json = nlohmann::json::parse(r.output);
  EXPECT_FALSE(json["regression"].get<bool>());
  EXPECT_DOUBLE_EQ(json["max_drop"].get<double>(), 0.5);
}

TEST(CompareBinary, BadInputsExitTwo) {
  struct Case {
    std::string new_file, message;
  } cases[] = {
      {Fixture("schema_v2/results.json"), "schema version 2 does not match"},
      {Fixture("other_task/results.json"), "no (task, method) rows or study arms in common"},
      {Fixture("does_not_exist/results.json"), "does_not_exist"},
  };
  for (const auto& c : cases) {
    auto r = reports_test::RunCommand(Compare(reports_test::Quote(Fixture("base/results.json")) + " " +
                                              reports_test::Quote(c.new_file)));
    EXPECT_EQ(r.exit_code, 2) << c.new_file << "\n" << r.output;
    EXPECT_NE(r.output.find(c.message), std::string::npos) << r.output;
  }
  auto bad_alpha = reports_test::RunCommand(Compare(reports_test::Quote(Fixture("base/results.json")) + " " +
                                                    reports_test::Quote(Fixture("base/results.json")) +
                                                    " --alpha 1.5"));
  EXPECT_EQ(bad_alpha.exit_code, 2) << bad_alpha.output;
}

}  // namespace

namespace {

// A results document holding only studies: arm "wsrl" with the given success per seed (and a constant
// scalar), plus an arm only this side has.
reports::LoadedRun StudyRun(const std::string& path, const std::vector<double>& success, const std::string& extra_arm) {
  nlohmann::json studies = nlohmann::json::array();
  for (size_t seed = 0; seed < success.size(); ++seed) {
    studies.push_back({{"name", "control"}, {"arm", "wsrl"}, {"method", "wsrl"}, {"seed", seed + 1},
                       {"curves", {{"success", {{"x", {0, 1}}, {"y", {0.0, success[seed]}}}}}},
                       {"scalars", {{"final_success", success[seed]}, {"offline_q", 7.0}}},
                       {"scalar_labels", {{"final_success", "success at the end"}}}});
  }
  studies.push_back({{"name", "control"}, {"arm", extra_arm}, {"method", extra_arm}, {"seed", 1},
                     {"curves", nlohmann::json::object()}, {"scalars", {{"final_success", 0.5}}}});
  return reports::ParseResults(
      {{"schema_version", reports::kResultsSchemaVersion}, {"results", nlohmann::json::array()}, {"studies", studies}},
      path);
}

// Runs that hold only studies compare arm by arm over seeds (Welch): a clear change is reported as a
// change, an unchanged scalar is not, one seed a side is not tested, and none of it fails the gate.
TEST(CompareApi, StudiesCompareArmByArmOverSeeds) {
  const auto base = StudyRun("base.json", {0.1, 0.2, 0.3}, "only-base");
  const auto changed = StudyRun("new.json", {0.4, 0.5, 0.6}, "only-new");
  const reports::CompareReport report = reports::CompareRuns(base, changed, {});
  ASSERT_EQ(report.studies.size(), 2u);
  const reports::StudyComparison& success = report.studies[0];
  EXPECT_EQ(success.study, "control");
  EXPECT_EQ(success.arm, "wsrl");
  EXPECT_EQ(success.scalar, "final_success");
  EXPECT_EQ(success.label, "success at the end");
  EXPECT_NEAR(success.delta, 0.3, 1e-12);
  EXPECT_EQ(success.test, "welch-t");
  // Means 0.2 and 0.5, SD 0.1 each side: t = 0.3 / sqrt(2 * 0.01 / 3) = 3.674, df 4, p = 0.02131.
  EXPECT_NEAR(success.p_value, 0.021311641128756498, 1e-9);
  EXPECT_TRUE(success.changed);
  EXPECT_EQ(report.studies[1].scalar, "offline_q");
  EXPECT_EQ(report.studies[1].p_value, 1.0);
  EXPECT_FALSE(report.studies[1].changed);
  EXPECT_EQ(report.base_only_studies, std::vector<std::string>{"control / only-base"});
  EXPECT_EQ(report.new_only_studies, std::vector<std::string>{"control / only-new"});
  EXPECT_FALSE(report.regression());
  const std::string text = reports::RenderCompareText(report);
  EXPECT_NE(text.find("study control / wsrl  (3 vs 3 seeds)"), std::string::npos) << text;
  EXPECT_NE(text.find("final_success: 0.2000 -> 0.5000 (+0.3000)  welch-t p=0.0213  changed"), std::string::npos)
      << text;
  EXPECT_NE(text.find("study only in new: control / only-new"), std::string::npos) << text;
  EXPECT_EQ(reports::CompareReportToJson(report)["studies"][0]["changed"], true);
  EXPECT_NE(reports::RenderCompareHtml(report).find("id=\"studies\""), std::string::npos);
  // One seed a side: reported, not tested.
  const auto single = reports::CompareRuns(StudyRun("a.json", {0.2}, "x"), StudyRun("b.json", {0.9}, "x"), {});
  EXPECT_EQ(single.studies[0].test, "none");
  EXPECT_FALSE(single.studies[0].changed);
  EXPECT_NE(reports::RenderCompareText(single).find("not tested"), std::string::npos);
}

}  // namespace

namespace {

// Where the two runs' environments differ in what orders their float sums (the kernels' instruction set, the
// BLAS's kernel, the linear layers' GEMM, the thread count), the report says so beside its verdicts; identical ones say nothing.
TEST(CompareApi, EnvironmentsThatSumFloatsDifferentlyAreNoted) {
  auto base = StudyRun("base.json", {0.2}, "x"), changed = StudyRun("new.json", {0.2}, "x");
  base.document["environment"] = {
      {"cpu_kernels", "avx512"}, {"blas_core", "COOPERLAKE"}, {"linear_backend", "dnnl"}, {"torch_threads", 2}};
  changed.document["environment"] = {{"cpu_kernels", "avx2"}, {"linear_backend", "blas"}, {"torch_threads", 2}};
  const reports::CompareReport report = reports::CompareRuns(base, changed, {});
  EXPECT_EQ(report.environment_notes,
            (std::vector<std::string>{"cpu_kernels: \"avx512\" -> \"avx2\"", "blas_core: \"COOPERLAKE\" -> (not recorded)",
                                      "linear_backend: \"dnnl\" -> \"blas\""}));
  EXPECT_NE(reports::RenderCompareText(report).find("environment differs: cpu_kernels: \"avx512\" -> \"avx2\""),
            std::string::npos);
  EXPECT_NE(reports::RenderCompareHtml(report).find("id=\"environment\""), std::string::npos);
  EXPECT_EQ(reports::CompareReportToJson(report)["environment_notes"].size(), 3u);
  changed.document["environment"] = base.document["environment"];
  EXPECT_TRUE(reports::CompareRuns(base, changed, {}).environment_notes.empty());
}

}  // namespace
