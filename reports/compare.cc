// Run-vs-run comparison (see compare.h for the choice of tests).
#include "reports/compare.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "harness/util/error.h"
#include "harness/util/hashing.h"
#include "harness/util/text.h"
#include "reports/html_util.h"
#include "reports/stats.h"
#include "tasks/answer.h"
#include "tasks/metrics/metrics.h"

namespace reports {

namespace {

using util::InputError;
using util::Location;

// "maj@8" → {"maj", 8}; anything else → nullopt.
std::optional<std::pair<std::string, int>> SplitAtK(const std::string& metric) {
  const size_t at = metric.find('@');
  if (at == std::string::npos || at + 1 >= metric.size()) return std::nullopt;
  const std::string head = metric.substr(0, at);
  const std::string tail = metric.substr(at + 1);
  if (!std::all_of(tail.begin(), tail.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  if (tail.size() > 6) return std::nullopt;
  return std::make_pair(head, std::stoi(tail));
}

std::vector<tasks::ExtractedAnswer> Answers(const SampleRecord& s) {
  std::vector<tasks::ExtractedAnswer> out;
  for (const auto& e : s.extracted) {
    tasks::ExtractedAnswer a;
    a.valid = e.has_value();
    if (e) a.value = *e;
    out.push_back(std::move(a));
  }
  return out;
}

// Per-problem score of `metric` recomputed from one sample record, or nullopt when the record does
// not carry enough completions (then the comparison falls back to the unpaired test).
std::optional<double> PerProblemScore(const std::string& metric, const SampleRecord& s) {
  auto split = SplitAtK(metric);
  if (!split) return std::nullopt;
  const auto& [kind, k] = *split;
  const int n = static_cast<int>(s.correct.size());
  if (k < 1 || n < k) return std::nullopt;
  if (kind == "pass") {
    const int c = static_cast<int>(std::count(s.correct.begin(), s.correct.end(), true));
    return tasks::metrics::PassAtK(n, c, k);
  }
  if (kind == "avg") {
    int hits = 0;
    for (int i = 0; i < k; ++i) hits += s.correct[i] ? 1 : 0;
    return static_cast<double>(hits) / k;
  }
  if (kind == "rerank") {
    if (static_cast<int>(s.extracted.size()) != n || static_cast<int>(s.scores.size()) != n) return std::nullopt;
    const int pick = tasks::metrics::RerankPick(Answers(s), s.scores, k);
    return pick >= 0 && s.correct[pick] ? 1.0 : 0.0;
  }
  if (kind == "maj") {
    if (static_cast<int>(s.extracted.size()) != n) return std::nullopt;
    auto vote = tasks::metrics::MajorityVote(Answers(s), k);
    return vote.has_winner && s.correct[vote.winner_index] ? 1.0 : 0.0;
  }
  return std::nullopt;
}

std::string ExtractedText(const SampleRecord& s) {
  if (s.extracted.empty()) return "";
  return s.extracted[0] ? *s.extracted[0] : "(none)";
}

std::string FirstCompletion(const SampleRecord& s) { return s.completions.empty() ? "" : s.completions[0]; }

// Standard error for the unpaired fallback: the reported *_stderr, else the binomial one when the
// value is a proportion and n is known.
std::optional<double> StderrOf(const MetricRow& row, const std::string& metric) {
  if (auto it = row.stderrs.find(metric); it != row.stderrs.end()) return it->second;
  auto v = row.values.find(metric);
  if (v != row.values.end() && row.n > 0 && v->second >= 0.0 && v->second <= 1.0) {
    return std::sqrt(v->second * (1.0 - v->second) / static_cast<double>(row.n));
  }
  return std::nullopt;
}

// `paired_direction` is the sign of new - base as the test saw it; for lower-is-better metrics a rise is worse.
void Decide(MetricComparison& m, double paired_direction, const CompareOptions& options) {
  m.direction = paired_direction;
  const bool lower_better = LowerIsBetter(m.metric);
  const double improvement = lower_better ? -paired_direction : paired_direction;
  if (m.p_value < options.alpha && improvement != 0.0) {
    m.verdict = improvement > 0.0 ? Verdict::kBetter : Verdict::kWorse;
  } else {
    m.verdict = Verdict::kNoChange;
  }
  const double loss = lower_better ? m.new_value - m.base_value : m.base_value - m.new_value;
  m.fails_gate = m.verdict == Verdict::kWorse && loss > options.max_drop;
}

RowComparison CompareRow(const MetricRow& base, const MetricRow& neu, const LoadedRun& base_run,
                         const LoadedRun& new_run, const CompareOptions& options) {
  RowComparison out;
  out.base_key = base.key;
  out.new_key = neu.key;
  const auto base_samples = base_run.SamplesOf(base.key);
  const auto new_samples = new_run.SamplesOf(neu.key);
  out.base_samples = static_cast<long>(base_samples.size());
  out.new_samples = static_cast<long>(new_samples.size());
  std::vector<std::pair<const SampleRecord*, const SampleRecord*>> shared;
  for (const auto& [id, b] : base_samples) {
    auto it = new_samples.find(id);
    if (it != new_samples.end()) shared.emplace_back(b, it->second);
  }
  out.shared_samples = static_cast<long>(shared.size());
  if (!(base.key.seed == neu.key.seed)) out.note = "seeds differ (paired on problem id)";

  for (const auto& [id_pair_b, id_pair_n] : shared) {
    const bool bc = id_pair_b->correct[0];
    const bool nc = id_pair_n->correct[0];
    if (bc == nc) continue;
    ++out.flipped_total;
    if (out.flipped.size() >= options.max_flipped_listed) continue;
    FlippedSample f;
    f.id = id_pair_b->id;
    f.base_correct = bc;
    f.new_correct = nc;
    f.prompt = id_pair_b->prompt;
    f.gold = id_pair_b->gold;
    f.base_completion = FirstCompletion(*id_pair_b);
    f.new_completion = FirstCompletion(*id_pair_n);
    f.base_extracted = ExtractedText(*id_pair_b);
    f.new_extracted = ExtractedText(*id_pair_n);
    out.flipped.push_back(std::move(f));
  }

  for (const auto& [metric, base_value] : base.values) {
    auto nv = neu.values.find(metric);
    if (nv == neu.values.end()) continue;
    MetricComparison m;
    m.metric = metric;
    m.base_value = base_value;
    m.new_value = nv->second;
    m.delta = m.new_value - m.base_value;
    bool tested = false;
    if (metric == "accuracy" && !shared.empty()) {
      for (const auto& [b, n] : shared) {
        if (b->correct[0] && !n->correct[0]) ++m.base_only;
        if (!b->correct[0] && n->correct[0]) ++m.new_only;
      }
      m.test = "mcnemar-exact";
      m.paired_n = static_cast<long>(shared.size());
      m.p_value = stats::McNemarExactPValue(m.base_only, m.new_only);
      Decide(m, static_cast<double>(m.new_only - m.base_only), options);
      tested = true;
    } else if (!shared.empty() && SplitAtK(metric)) {
      std::vector<double> bs, ns;
      bool complete = true;
      for (const auto& [b, n] : shared) {
        auto sb = PerProblemScore(metric, *b);
        auto sn = PerProblemScore(metric, *n);
        if (!sb || !sn) {
          complete = false;
          break;
        }
        bs.push_back(*sb);
        ns.push_back(*sn);
      }
      if (complete) {
        // Seed mixes in the metric name so that metrics do not share resampling streams by accident.
        auto boot = stats::PairedBootstrap(bs, ns, options.bootstrap_iterations,
                                           options.bootstrap_seed ^ util::Fnv1a64(metric));
        m.test = "paired-bootstrap";
        m.paired_n = static_cast<long>(shared.size());
        m.p_value = boot.p_value;
        Decide(m, boot.mean_difference, options);
        tested = true;
      } else {
        m.note = "per-sample data too short for " + metric;
      }
    }
    if (!tested) {
      auto sb = StderrOf(base, metric);
      auto sn = StderrOf(neu, metric);
      if (sb && sn) {
        m.test = "unpaired-z";
        m.p_value = stats::UnpairedZPValue(m.base_value, *sb, m.new_value, *sn);
        Decide(m, m.delta, options);
        std::string why = shared.empty() ? "no shared samples" : m.note;
        m.note = "unpaired z-test (" + (why.empty() ? std::string("no per-sample test") : why) + ")";
      } else {
        m.test = "none";
        m.p_value = 1.0;
        m.verdict = Verdict::kNoChange;
        m.note = "no samples and no stderr: not tested";
      }
    }
    m.raw_p_value = m.p_value;
    out.metrics.push_back(std::move(m));
  }
  return out;
}

std::string RowList(const LoadedRun& run) {
  std::set<std::string> pairs;
  for (const auto& r : run.rows) pairs.insert(r.key.TaskLabel() + "/" + r.key.method);
  for (const auto& study : run.studies) pairs.insert("study " + study.name + "/" + study.arm);
  std::string out;
  for (const auto& p : pairs) out += (out.empty() ? "" : ", ") + p;
  return out.empty() ? "(no rows)" : out;
}

// (task, variant, method, model) without the seed.
std::tuple<std::string, std::string, std::string, std::string> Group(const RowKey& k) {
  return {k.task, k.variant, k.method, k.model};
}

}  // namespace

bool LowerIsBetter(const std::string& metric) {
  return util::EndsWith(metric, "failure_rate") || util::EndsWith(metric, "error_rate") ||
         metric.find("loss") != std::string::npos;
}

const char* VerdictName(Verdict v) {
  switch (v) {
    case Verdict::kBetter: return "better";
    case Verdict::kWorse: return "worse";
    case Verdict::kNoChange: return "no significant change";
  }
  return "?";
}

namespace {

// Study arms present in both runs, scalar by scalar (keys in the base's order, then the new run's).
void CompareStudies(const LoadedRun& base, const LoadedRun& new_run, const CompareOptions& options,
                    CompareReport* report) {
  using Arm = std::pair<std::string, std::string>;  // (study, arm)
  struct Side {
    std::vector<Arm> order;
    std::map<Arm, std::vector<const StudyRecord*>> records;
  };
  const auto collect = [](const LoadedRun& run) {
    Side side;
    for (const auto& record : run.studies) {
      const Arm key{record.name, record.arm};
      if (!side.records.count(key)) side.order.push_back(key);
      side.records[key].push_back(&record);
    }
    return side;
  };
  const Side base_side = collect(base), new_side = collect(new_run);
  const auto label_of = [](const Arm& arm) { return arm.first + " / " + arm.second; };
  for (const Arm& arm : base_side.order) {
    auto partner = new_side.records.find(arm);
    if (partner == new_side.records.end()) {
      report->base_only_studies.push_back(label_of(arm));
      continue;
    }
    const auto& base_records = base_side.records.at(arm);
    std::vector<std::string> keys;
    std::map<std::string, std::string> labels;
    for (const auto* records : {&base_records, &partner->second}) {
      for (const StudyRecord* record : *records) {
        for (const auto& [key, value] : record->scalars) {
          if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
          auto label = record->scalar_labels.find(key);
          if (label != record->scalar_labels.end() && !labels.count(key)) labels[key] = label->second;
        }
      }
    }
    const auto values_of = [](const std::vector<const StudyRecord*>& records, const std::string& key) {
      std::vector<double> values;
      for (const StudyRecord* record : records) {
        for (const auto& [k, v] : record->scalars) {
          if (k == key) values.push_back(v);
        }
      }
      return values;
    };
    for (const auto& key : keys) {
      const std::vector<double> base_values = values_of(base_records, key), new_values = values_of(partner->second, key);
      if (base_values.empty() || new_values.empty()) continue;  // a scalar one side does not report
      const stats::WelchResult welch = stats::WelchTTest(base_values, new_values);
      StudyComparison c;
      c.study = arm.first;
      c.arm = arm.second;
      c.scalar = key;
      c.label = labels.count(key) ? labels[key] : key;
      c.base_mean = welch.base_mean;
      c.new_mean = welch.new_mean;
      c.delta = welch.new_mean - welch.base_mean;
      c.base_n = welch.base_n;
      c.new_n = welch.new_n;
      c.test = welch.tested ? "welch-t" : "none";
      c.p_value = welch.p_value;
      c.changed = welch.tested && welch.p_value < options.alpha;
      report->studies.push_back(c);
    }
  }
  for (const Arm& arm : new_side.order) {
    if (!base_side.records.count(arm)) report->new_only_studies.push_back(label_of(arm));
  }
}

}  // namespace

CompareReport CompareRuns(const LoadedRun& base, const LoadedRun& new_run, const CompareOptions& options) {
  if (base.schema_version != new_run.schema_version) {
    throw InputError(Location{new_run.results_path, 0, "schema_version"},
                     "schema version " + std::to_string(new_run.schema_version) + " does not match " +
                         base.results_path + " (schema version " + std::to_string(base.schema_version) +
                         "); compare runs written by the same results schema");
  }
  if (base.schema_version != kResultsSchemaVersion) {
    throw InputError(Location{base.results_path, 0, "schema_version"},
                     "unsupported schema version " + std::to_string(base.schema_version) +
                         " (this harness reads version " + std::to_string(kResultsSchemaVersion) + ")");
  }
  if (!(options.alpha > 0.0 && options.alpha < 1.0)) {
    throw InputError(Location{"", 0, "--alpha"}, "must lie in (0, 1), got " + util::FormatNumber(options.alpha));
  }
  if (!(options.max_drop >= 0.0)) {
    throw InputError(Location{"", 0, "--max-drop"}, "must be >= 0, got " + util::FormatNumber(options.max_drop));
  }

  CompareReport report;
  report.base_path = base.results_path;
  report.new_path = new_run.results_path;
  report.options = options;
  // The hand-written kernels' instruction set, the BLAS's kernel, the linear layers' GEMM (oneDNN or the BLAS),
  // the thread count: each changes the order of float sums, and a trained model drifts apart from it (the same
  // config and seed reproduce only where they agree).
  for (const char* key : {"cpu_kernels", "blas_core", "linear_backend", "torch_threads"}) {
    const auto side = [&](const nlohmann::json& doc) {
      const nlohmann::json env = doc.value("environment", nlohmann::json::object());
      return env.contains(key) ? env[key].dump() : std::string("(not recorded)");
    };
    const std::string b = side(base.document), n = side(new_run.document);
    if (b != n) report.environment_notes.push_back(std::string(key) + ": " + b + " -> " + n);
  }

  std::map<RowKey, const MetricRow*> new_by_key;
  for (const auto& r : new_run.rows) new_by_key[r.key] = &r;
  std::set<RowKey> used_new;
  std::vector<const MetricRow*> unmatched_base;
  for (const auto& b : base.rows) {
    auto it = new_by_key.find(b.key);
    if (it != new_by_key.end()) {
      report.rows.push_back(CompareRow(b, *it->second, base, new_run, options));
      used_new.insert(b.key);
    } else {
      unmatched_base.push_back(&b);
    }
  }
  // Second pass: one row per side left in a (task, variant, method, model) group with different seeds.
  std::map<std::tuple<std::string, std::string, std::string, std::string>, std::vector<const MetricRow*>> left_new;
  for (const auto& r : new_run.rows) {
    if (!used_new.count(r.key)) left_new[Group(r.key)].push_back(&r);
  }
  std::map<std::tuple<std::string, std::string, std::string, std::string>, int> left_base_count;
  for (const auto* b : unmatched_base) left_base_count[Group(b->key)]++;
  for (const auto* b : unmatched_base) {
    auto it = left_new.find(Group(b->key));
    if (left_base_count[Group(b->key)] == 1 && it != left_new.end() && it->second.size() == 1) {
      report.rows.push_back(CompareRow(*b, *it->second[0], base, new_run, options));
      used_new.insert(it->second[0]->key);
      left_new.erase(it);
    } else {
      report.base_only_rows.push_back(b->key.Label());
    }
  }
  for (const auto& r : new_run.rows) {
    if (!used_new.count(r.key)) report.new_only_rows.push_back(r.key.Label());
  }
  CompareStudies(base, new_run, options, &report);
  if (report.rows.empty() && report.studies.empty()) {
    throw InputError(Location{new_run.results_path, 0, "results"},
                     "no (task, method) rows or study arms in common with " + base.results_path + ": base has " +
                         RowList(base) + "; new has " + RowList(new_run));
  }
  if (options.holm) {
    // Holm (1979) step-down over every tested metric of the comparison: sort raw p ascending,
    // adjusted p_(i) = max_{j<=i} min(1, (m - j + 1) p_(j)); verdicts are then re-decided on it.
    std::vector<MetricComparison*> tested;
    for (auto& row : report.rows) {
      for (auto& m : row.metrics) {
        if (m.test != "none") tested.push_back(&m);
      }
    }
    std::stable_sort(tested.begin(), tested.end(),
                     [](const MetricComparison* a, const MetricComparison* b) { return a->raw_p_value < b->raw_p_value; });
    double running = 0.0;
    const double count = static_cast<double>(tested.size());
    for (size_t j = 0; j < tested.size(); ++j) {
      running = std::max(running, std::min(1.0, (count - static_cast<double>(j)) * tested[j]->raw_p_value));
      tested[j]->p_value = running;
      Decide(*tested[j], tested[j]->direction, options);
    }
  }
  for (const auto& row : report.rows) {
    for (const auto& m : row.metrics) {
      if (!m.fails_gate) continue;
      report.failures.push_back(row.new_key.Label() + ": " + m.metric +
                                (LowerIsBetter(m.metric) ? " rose from " : " dropped from ") +
                                util::FormatNumber(m.base_value) + " to " + util::FormatNumber(m.new_value) +
                                " (p=" + html::Fixed(m.p_value, 4) + ", " + m.test + ")");
    }
  }
  return report;
}

CompareReport CompareFiles(const std::string& base_results, const std::string& new_results,
                           const CompareOptions& options) {
  return CompareRuns(LoadRun(base_results), LoadRun(new_results), options);
}

nlohmann::json CompareReportToJson(const CompareReport& report) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& r : report.rows) {
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& m : r.metrics) {
      metrics.push_back({{"metric", m.metric}, {"base", m.base_value}, {"new", m.new_value}, {"delta", m.delta},
                         {"test", m.test}, {"paired_n", m.paired_n}, {"base_only_correct", m.base_only},
                         {"new_only_correct", m.new_only}, {"p_value", m.p_value},
                         {"raw_p_value", m.raw_p_value},
                         {"verdict", VerdictName(m.verdict)}, {"fails_gate", m.fails_gate}, {"note", m.note}});
    }
    nlohmann::json flipped = nlohmann::json::array();
    for (const auto& f : r.flipped) {
      flipped.push_back({{"id", f.id}, {"base_correct", f.base_correct}, {"new_correct", f.new_correct},
                         {"base_extracted", f.base_extracted}, {"new_extracted", f.new_extracted}});
    }
    rows.push_back({{"base_row", r.base_key.Label()}, {"new_row", r.new_key.Label()}, {"task", r.new_key.task},
                    {"variant", r.new_key.variant}, {"method", r.new_key.method}, {"model", r.new_key.model},
                    {"shared_samples", r.shared_samples}, {"flipped_total", r.flipped_total}, {"note", r.note},
                    {"metrics", metrics}, {"flipped", flipped}});
  }
  nlohmann::json studies = nlohmann::json::array();
  for (const auto& c : report.studies) {
    studies.push_back({{"study", c.study}, {"arm", c.arm}, {"scalar", c.scalar}, {"label", c.label},
                       {"base", c.base_mean}, {"new", c.new_mean}, {"delta", c.delta}, {"base_seeds", c.base_n},
                       {"new_seeds", c.new_n}, {"test", c.test}, {"p_value", c.p_value}, {"changed", c.changed}});
  }
  return {{"base", report.base_path},
          {"new", report.new_path},
          {"studies", studies},
          {"base_only_studies", report.base_only_studies},
          {"new_only_studies", report.new_only_studies},
          {"alpha", report.options.alpha},
          {"max_drop", report.options.max_drop},
          {"bootstrap_iterations", report.options.bootstrap_iterations},
          {"bootstrap_seed", report.options.bootstrap_seed},
          {"holm", report.options.holm},
          {"regression", report.regression()},
          {"failures", report.failures},
          {"environment_notes", report.environment_notes},
          {"base_only_rows", report.base_only_rows},
          {"new_only_rows", report.new_only_rows},
          {"rows", rows}};
}

std::string RenderCompareText(const CompareReport& report) {
  std::ostringstream out;
  out << "base: " << report.base_path << "\nnew:  " << report.new_path << "\nalpha " << report.options.alpha
      << ", max drop " << report.options.max_drop
      << (report.options.holm ? ", Holm-adjusted p-values over all tested metrics" : "") << "\n\n";
  for (const auto& r : report.rows) {
    out << r.new_key.Label() << "  (" << r.shared_samples << " shared samples, " << r.flipped_total << " flipped"
        << (r.note.empty() ? "" : "; " + r.note) << ")\n";
    for (const auto& m : r.metrics) {
      out << "  " << m.metric << ": " << html::Fixed(m.base_value, 4) << " -> " << html::Fixed(m.new_value, 4)
          << " (" << (m.delta >= 0 ? "+" : "") << html::Fixed(m.delta, 4) << ")  " << m.test
          << " p=" << html::Fixed(m.p_value, 4) << "  " << VerdictName(m.verdict)
          << (m.fails_gate ? "  REGRESSION" : "") << "\n";
    }
  }
  for (const auto& l : report.base_only_rows) out << "only in base: " << l << "\n";
  for (const auto& l : report.new_only_rows) out << "only in new: " << l << "\n";
  for (const auto& n : report.environment_notes) {
    out << "environment differs: " << n << " (float sums run in another order: trained numbers differ without any change)\n";
  }
  std::string last_arm;
  for (const auto& c : report.studies) {
    const std::string arm = "study " + c.study + " / " + c.arm;
    if (arm != last_arm) out << arm << "  (" << c.base_n << " vs " << c.new_n << " seeds)\n";
    last_arm = arm;
    out << "  " << c.scalar << ": " << html::Fixed(c.base_mean, 4) << " -> " << html::Fixed(c.new_mean, 4) << " ("
        << (c.delta >= 0 ? "+" : "") << html::Fixed(c.delta, 4) << ")  " << c.test;
    if (c.test != "none") out << " p=" << html::Fixed(c.p_value, 4);
    out << "  " << (c.test == "none" ? "not tested" : c.changed ? "changed" : "no significant change") << "\n";
  }
  for (const auto& l : report.base_only_studies) out << "study only in base: " << l << "\n";
  for (const auto& l : report.new_only_studies) out << "study only in new: " << l << "\n";
  if (report.regression()) {
    out << "\nREGRESSION: " << report.failures.size() << " metric(s) dropped significantly by more than "
        << report.options.max_drop << ":\n";
    for (const auto& f : report.failures) out << "  " << f << "\n";
  } else {
    out << "\nno significant regression\n";
  }
  return out.str();
}

std::string RenderCompareHtml(const CompareReport& report) {
  using html::Escape;
  std::ostringstream out;
  out << html::PageStart("harness compare");
  out << "<h1>Run comparison</h1>\n<p class=\"meta\">base <code>" << Escape(report.base_path)
      << "</code><br>new <code>" << Escape(report.new_path) << "</code><br>alpha " << report.options.alpha
      << ", max drop " << report.options.max_drop
      << (report.options.holm ? ", Holm-adjusted p-values" : "") << ", bootstrap " << report.options.bootstrap_iterations
      << " resamples (seed " << report.options.bootstrap_seed << ")</p>\n";
  if (!report.environment_notes.empty()) {
    out << "<p class=\"note\" id=\"environment\">The runs' environments differ where float sums are decided:";
    for (const auto& n : report.environment_notes) out << " <code>" << Escape(n) << "</code>;";
    out << " trained numbers move apart without any change of code or config.</p>\n";
  }
  if (report.regression()) {
    out << "<p class=\"bad\" id=\"gate\">REGRESSION: " << report.failures.size()
        << " metric(s) dropped significantly</p><ul>";
    for (const auto& f : report.failures) out << "<li>" << Escape(f) << "</li>";
    out << "</ul>\n";
  } else {
    out << "<p class=\"good\" id=\"gate\">No significant regression.</p>\n";
  }
  out << "<h2>Verdicts</h2>\n<div class=\"scroll\"><table id=\"verdicts\"><thead><tr><th>row</th><th>metric</th>"
         "<th class=\"num\">base</th><th class=\"num\">new</th><th class=\"num\">Δ</th><th>test</th>"
         "<th class=\"num\">b / c</th><th class=\"num\">p</th><th>verdict</th></tr></thead><tbody>\n";
  for (const auto& r : report.rows) {
    for (const auto& m : r.metrics) {
      const char* cls = m.verdict == Verdict::kBetter ? "good" : m.verdict == Verdict::kWorse ? "bad" : "muted";
      out << "<tr><td>" << Escape(r.new_key.Label()) << "</td><td>" << Escape(m.metric) << "</td><td class=\"num\">"
          << html::Fixed(m.base_value, 4) << "</td><td class=\"num\">" << html::Fixed(m.new_value, 4)
          << "</td><td class=\"num\">" << (m.delta >= 0 ? "+" : "") << html::Fixed(m.delta, 4) << "</td><td>"
          << Escape(m.test) << (m.note.empty() ? "" : "<br><span class=\"ci\">" + Escape(m.note) + "</span>")
          << "</td><td class=\"num\">"
          << (m.test == "mcnemar-exact" ? std::to_string(m.base_only) + " / " + std::to_string(m.new_only) : "")
          << "</td><td class=\"num\">" << html::Fixed(m.p_value, 4) << "</td><td class=\"" << cls << "\">"
          << VerdictName(m.verdict) << (m.fails_gate ? " (gate)" : "") << "</td></tr>\n";
    }
  }
  out << "</tbody></table></div>\n";
  if (!report.base_only_rows.empty() || !report.new_only_rows.empty()) {
    out << "<p class=\"note\">Rows without a partner:";
    for (const auto& l : report.base_only_rows) out << " base only <code>" << Escape(l) << "</code>;";
    for (const auto& l : report.new_only_rows) out << " new only <code>" << Escape(l) << "</code>;";
    out << "</p>\n";
  }
  if (!report.studies.empty()) {
    out << "<h2>Studies</h2>\n<p class=\"meta\">Scalars of each study arm over seeds, Welch's t-test; a study's "
           "scalars have no better or worse direction, so a change never fails the gate.</p>\n"
           "<div class=\"scroll\"><table id=\"studies\"><thead><tr><th>study / arm</th><th>scalar</th>"
           "<th class=\"num\">base</th><th class=\"num\">new</th><th class=\"num\">Δ</th><th class=\"num\">seeds</th>"
           "<th>test</th><th class=\"num\">p</th><th>verdict</th></tr></thead><tbody>\n";
    for (const auto& c : report.studies) {
      out << "<tr><td>" << Escape(c.study + " / " + c.arm) << "</td><td>" << Escape(c.label) << "</td><td class=\"num\">"
          << html::Fixed(c.base_mean, 4) << "</td><td class=\"num\">" << html::Fixed(c.new_mean, 4)
          << "</td><td class=\"num\">" << (c.delta >= 0 ? "+" : "") << html::Fixed(c.delta, 4)
          << "</td><td class=\"num\">" << c.base_n << " / " << c.new_n << "</td><td>" << Escape(c.test)
          << "</td><td class=\"num\">" << (c.test == "none" ? "" : html::Fixed(c.p_value, 4)) << "</td><td class=\""
          << (c.changed ? "bad" : "muted") << "\">"
          << (c.test == "none" ? "not tested" : c.changed ? "changed" : "no significant change") << "</td></tr>\n";
    }
    out << "</tbody></table></div>\n";
  }
  out << "<h2>Flipped samples</h2>\n<p class=\"meta\">Problems whose first-sample correctness differs between "
         "the runs (the pairs McNemar's test counts).</p>\n";
  for (const auto& r : report.rows) {
    out << "<h3>" << Escape(r.new_key.Label()) << " — " << r.flipped_total << " flipped of " << r.shared_samples
        << " shared</h3>\n";
    if (r.flipped.empty()) continue;
    if (static_cast<long>(r.flipped.size()) < r.flipped_total) {
      out << "<p class=\"meta\">showing the first " << r.flipped.size() << "</p>\n";
    }
    out << "<div class=\"scroll\"><table class=\"flipped\"><thead><tr><th>id</th><th>change</th><th>gold</th>"
           "<th>base extracted</th><th>new extracted</th><th>texts</th></tr></thead><tbody>\n";
    for (const auto& f : r.flipped) {
      out << "<tr class=\"flip " << (f.new_correct ? "correct" : "wrong") << "\"><td>" << Escape(f.id) << "</td><td class=\""
          << (f.new_correct ? "good\">✗ → ✓" : "bad\">✓ → ✗") << "</td><td>" << Escape(html::Truncate(f.gold, 200))
          << "</td><td>" << Escape(html::Truncate(f.base_extracted, 200)) << "</td><td>"
          << Escape(html::Truncate(f.new_extracted, 200)) << "</td><td><details><summary>prompt and completions"
          << "</summary><b>prompt</b><pre>" << Escape(html::Truncate(f.prompt, 4000)) << "</pre><b>base</b><pre>"
          << Escape(html::Truncate(f.base_completion, 4000)) << "</pre><b>new</b><pre>"
          << Escape(html::Truncate(f.new_completion, 4000)) << "</pre></details></td></tr>\n";
    }
    out << "</tbody></table></div>\n";
  }
  out << html::PageEnd();
  return out.str();
}

}  // namespace reports
