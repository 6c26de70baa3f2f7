// Run-vs-run comparison: for each results row present in both runs and each metric present in both
// rows, a paired significance test over the shared sample ids and a verdict. This is the nightly CI
// gate behind `harness compare`. Studies (methods that train no text model) are compared arm by arm,
// scalar by scalar, over seeds (StudyComparison).
//
// Tests, in order of preference:
//   accuracy           McNemar's exact test on the first sample's correctness (stats.h)
//   maj@k/pass@k/avg@k paired bootstrap (fixed seed) of per-problem scores recomputed from samples.jsonl
//   rerank@k           (rerank@k needs the samples' "scores")
//   anything else, or  unpaired z-test on the reported values and their *_stderr, labelled as such
//   samples missing
// Rows pair on (task, variant, method, model, seed); when a (task, variant, method, model) has a single
// row on each side with different seeds, those two are paired and the note says so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/run_data.h"

namespace reports {

struct CompareOptions {
  double alpha = 0.05;           // significance level of every test
  double max_drop = 0.0;         // a significant drop (or, for lower-is-better metrics, rise) larger than
                                 // this absolute amount fails the gate
  int bootstrap_iterations = 10000;
  uint64_t bootstrap_seed = 20240117;  // fixed so that the gate is reproducible
  size_t max_flipped_listed = 500;     // per row pair, in JSON and HTML
  // Holm–Bonferroni adjustment over every tested (row, metric) of the comparison, so that a nightly gate
  // over many rows and metrics keeps its family-wise false-alarm rate at alpha.
  bool holm = false;
};

enum class Verdict { kBetter, kWorse, kNoChange };

// Metrics where a rise is a regression: "*failure_rate", "*error_rate", anything with "loss".
// Every other metric (accuracy, maj@k, pass@k, avg@k, rerank@k) is higher-is-better.
bool LowerIsBetter(const std::string& metric);
const char* VerdictName(Verdict v);  // "better", "worse", "no significant change"

struct MetricComparison {
  std::string metric;
  double base_value = 0.0;     // as reported in each results.json
  double new_value = 0.0;
  double delta = 0.0;          // new - base
  std::string test;            // "mcnemar-exact", "paired-bootstrap", "unpaired-z", "none"
  long paired_n = 0;           // shared problems used by a paired test
  long base_only = 0;          // McNemar b: right in base, wrong in new
  long new_only = 0;           // McNemar c: wrong in base, right in new
  double p_value = 1.0;        // the p-value the verdict uses (Holm-adjusted when options.holm)
  double raw_p_value = 1.0;    // the test's own p-value
  double direction = 0.0;      // sign of new - base as the test saw it
  Verdict verdict = Verdict::kNoChange;
  bool fails_gate = false;     // worse and base - new > max_drop
  std::string note;
};

struct FlippedSample {
  std::string id;
  bool base_correct = false;   // first sample
  bool new_correct = false;
  std::string prompt, gold;
  std::string base_completion, new_completion;
  std::string base_extracted, new_extracted;  // "(none)" when extraction failed
};

struct RowComparison {
  RowKey base_key;
  RowKey new_key;
  long shared_samples = 0;
  long base_samples = 0;
  long new_samples = 0;
  std::vector<MetricComparison> metrics;
  std::vector<FlippedSample> flipped;   // first-sample correctness differs; at most max_flipped_listed
  long flipped_total = 0;
  std::string note;
};

// One scalar of a study arm (results.json "studies", reports/study.h) in both runs: Welch's t-test over
// the seeds of each side. A study's scalars have no better or worse direction (a Q-value, steps to a
// goal), so a significant difference is reported as a change and never fails the gate.
struct StudyComparison {
  std::string study;            // the study's name
  std::string arm;
  std::string scalar;           // its key
  std::string label;            // its label, or the key
  double base_mean = 0.0, new_mean = 0.0, delta = 0.0;
  int base_n = 0, new_n = 0;    // seeds with a finite value
  std::string test;             // "welch-t", or "none" (fewer than two seeds on a side)
  double p_value = 1.0;
  bool changed = false;         // tested and p < alpha
};

struct CompareReport {
  std::string base_path, new_path;
  CompareOptions options;
  std::vector<RowComparison> rows;
  std::vector<std::string> base_only_rows;   // labels of rows with no partner
  std::vector<std::string> new_only_rows;
  std::vector<StudyComparison> studies;      // arms present in both runs, scalar by scalar
  std::vector<std::string> base_only_studies;  // "<study> / <arm>" with no partner
  std::vector<std::string> new_only_studies;
  std::vector<std::string> failures;         // "<row label>: <metric> dropped …" for each gate failure
  // Where the runs' environments differ in what decides their float sums ("cpu_kernels: avx512 -> avx2"): trained
  // numbers then move without any change of code or config, so a verdict is read with that in mind.
  std::vector<std::string> environment_notes;
  bool regression() const { return !failures.empty(); }
};

// Throws util::InputError when the schema versions differ or are unsupported, or when neither a row nor
// a study arm pairs up (the message lists the (task, method) pairs of each side).
CompareReport CompareRuns(const LoadedRun& base, const LoadedRun& new_run, const CompareOptions& options);

// Loads both files (with their samples.jsonl) and compares.
CompareReport CompareFiles(const std::string& base_results, const std::string& new_results,
                           const CompareOptions& options);

nlohmann::json CompareReportToJson(const CompareReport& report);
std::string RenderCompareText(const CompareReport& report);
// Self-contained HTML: the verdict table and, per row pair, the samples that flipped.
std::string RenderCompareHtml(const CompareReport& report);

}  // namespace reports
