// Loading the paper tables and checking their method orderings against measured values.
#include "reports/paper_tables.h"

#include "reports/stats.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "harness/util/error.h"
#include "harness/util/json_io.h"
#include "harness/util/text.h"

namespace reports {

namespace {

using util::InputError;
using util::Json;
using util::Location;

// A string field of `obj`, else of `fallback`, else "" (or an error when `required`).
std::string Field(const Json& obj, const Json& fallback, const std::string& name, const std::string& file,
                  const std::string& path, bool required) {
  for (const Json* o : {&obj, &fallback}) {
    auto it = o->find(name);
    if (it == o->end() || it->is_null()) continue;
    if (!it->is_string()) {
      throw InputError(Location{file, 0, path + name}, "expected a string, got " + util::JsonTypeName(*it));
    }
    return it->get<std::string>();
  }
  if (required) throw InputError(Location{file, 0, path + name}, "missing required field");
  return "";
}

const Json& ArrayField(const Json& doc, const std::string& name, const std::string& file) {
  static const Json kEmpty = Json::array();
  auto it = doc.find(name);
  if (it == doc.end()) return kEmpty;
  if (!it->is_array()) throw InputError(Location{file, 0, name}, "expected an array, got " + util::JsonTypeName(*it));
  return *it;
}

bool MetricMatches(const std::string& wanted, const std::string& have) {
  if (!wanted.empty() && wanted.back() == '@') return util::StartsWith(have, wanted);
  return wanted == have;
}

}  // namespace

const char* OrderingStatusName(OrderingStatus s) {
  switch (s) {
    case OrderingStatus::kAgrees: return "agrees";
    case OrderingStatus::kDisagrees: return "disagrees";
    case OrderingStatus::kTied: return "tie here";
    case OrderingStatus::kNotRun: return "not run here";
    case OrderingStatus::kNotSignificant: return "not significant";
  }
  return "?";
}

PaperTable ParsePaperTable(const Json& doc, const std::string& file) {
  if (!doc.is_object()) throw InputError(Location{file, 0, ""}, "expected a JSON object");
  const Json none = Json::object();
  PaperTable t;
  t.file = file;
  t.id = Field(doc, none, "id", file, "", true);
  t.paper = Field(doc, none, "paper", file, "", true);
  t.arxiv = Field(doc, none, "arxiv", file, "", true);
  t.paper_version = Field(doc, none, "paper_version", file, "", true);
  t.table = Field(doc, none, "table", file, "", true);
  t.metric = Field(doc, none, "metric", file, "", true);
  t.harness_metric = Field(doc, none, "harness_metric", file, "", false);
  if (t.harness_metric.empty()) t.harness_metric = "accuracy";
  t.scale = Field(doc, none, "scale", file, "", true);
  t.source = Field(doc, none, "source", file, "", true);
  t.notes = Field(doc, none, "notes", file, "", false);
  const Json& entries = ArrayField(doc, "entries", file);
  for (size_t i = 0; i < entries.size(); ++i) {
    const Json& e = entries[i];
    const std::string path = "entries[" + std::to_string(i) + "].";
    if (!e.is_object()) throw InputError(Location{file, 0, "entries[" + std::to_string(i) + "]"}, "expected an object");
    PaperEntry p;
    p.base_model = Field(e, none, "base_model", file, path, false);
    p.scale = Field(e, doc, "scale", file, path, true);
    p.method = Field(e, none, "method", file, path, true);
    p.harness_method = Field(e, none, "harness_method", file, path, false);
    p.task = Field(e, none, "task", file, path, true);
    p.harness_task = Field(e, none, "harness_task", file, path, false);
    p.setting = Field(e, none, "setting", file, path, false);
    p.harness_metric = Field(e, doc, "harness_metric", file, path, false);
    if (p.harness_metric.empty()) p.harness_metric = t.harness_metric;
    p.metric = Field(e, doc, "metric", file, path, true);
    p.table = Field(e, doc, "table", file, path, true);
    p.paper_version = Field(e, doc, "paper_version", file, path, true);
    p.arxiv = Field(e, doc, "arxiv", file, path, true);
    p.source = Field(e, doc, "source", file, path, true);
    auto v = e.find("value");
    if (v == e.end() || !v->is_number()) {
      throw InputError(Location{file, 0, path + "value"}, v == e.end() ? "missing required field" : "expected a number");
    }
    p.value = v->get<double>();
    t.entries.push_back(std::move(p));
  }
  const Json& orderings = ArrayField(doc, "orderings", file);
  for (size_t i = 0; i < orderings.size(); ++i) {
    const Json& o = orderings[i];
    const std::string path = "orderings[" + std::to_string(i) + "].";
    if (!o.is_object()) throw InputError(Location{file, 0, "orderings[" + std::to_string(i) + "]"}, "expected an object");
    PaperOrdering q;
    q.statement = Field(o, none, "statement", file, path, true);
    q.better = Field(o, none, "better", file, path, true);
    q.worse = Field(o, none, "worse", file, path, true);
    q.task = Field(o, none, "task", file, path, false);
    q.caveat = Field(o, none, "caveat", file, path, false);
    q.table = Field(o, doc, "table", file, path, true);
    q.paper_version = Field(o, doc, "paper_version", file, path, true);
    q.arxiv = Field(o, doc, "arxiv", file, path, true);
    q.source = Field(o, doc, "source", file, path, true);
    t.orderings.push_back(std::move(q));
  }
  return t;
}

std::vector<PaperTable> BuiltinPaperTables() {
  std::vector<PaperTable> out;
  for (const auto& f : EmbeddedPaperTableFiles()) {
    out.push_back(ParsePaperTable(util::ParseEmbeddedJson(f.contents, Location{f.name, 0, ""}), f.name));
  }
  return out;
}

std::vector<PaperTable> LoadPaperTablesDir(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  }
  if (ec) throw InputError(Location{dir, 0, ""}, "cannot list paper tables: " + ec.message());
  std::sort(files.begin(), files.end());
  std::vector<PaperTable> out;
  for (const auto& f : files) out.push_back(ParsePaperTable(util::ReadJsonFile(f), f));
  return out;
}

namespace {

// The measured cell for (task, method) under a paper metric ("accuracy" or a prefix like "maj@").
// Among several maj@k the largest k is used (closest to the paper's @100).
std::optional<MeasuredCell> Lookup(const MeasuredTable& measured, const std::string& task, const std::string& method,
                                   const std::string& metric) {
  std::optional<MeasuredCell> best;
  int best_k = -1;
  for (const auto& [key, cell] : measured) {
    const auto& [t, m, name] = key;
    if (m != method || (!task.empty() && t != task) || !MetricMatches(metric, name)) continue;
    if (task.empty()) {
      // Any task: only usable when exactly one task carries this method (else it is ambiguous).
      if (best) return std::nullopt;
      best = cell;
      continue;
    }
    const size_t at = name.find('@');
    const int k = at == std::string::npos ? 0 : std::atoi(name.c_str() + at + 1);
    if (k > best_k) {
      best_k = k;
      best = cell;
    }
  }
  return best;
}

// McNemar's exact test over the problems both methods were scored on, when there are any.
bool JudgePaired(OrderingCheck& c, const PairedOutcomes& outcomes) {
  if (c.task.empty()) return false;
  const auto better = outcomes.find({c.task, c.better}), worse = outcomes.find({c.task, c.worse});
  if (better == outcomes.end() || worse == outcomes.end()) return false;
  for (const auto& [problem, right] : better->second) {
    const auto other = worse->second.find(problem);
    if (other == worse->second.end()) continue;
    ++c.pairs;
    c.better_only += right && !other->second;
    c.worse_only += !right && other->second;
  }
  if (c.pairs == 0) return false;
  c.p_value = stats::McNemarExactPValue(c.better_only, c.worse_only);
  c.status = *c.p_value >= 0.05               ? OrderingStatus::kNotSignificant
             : c.better_only > c.worse_only ? OrderingStatus::kAgrees
                                            : OrderingStatus::kDisagrees;
  return true;
}

void Judge(OrderingCheck& c, const MeasuredTable& measured, const std::string& metric,
           const PairedOutcomes& outcomes) {
  c.here_better = Lookup(measured, c.task, c.better, metric);
  c.here_worse = Lookup(measured, c.task, c.worse, metric);
  if (!c.here_better || !c.here_worse) {
    c.status = OrderingStatus::kNotRun;
  } else if (metric == "accuracy" && JudgePaired(c, outcomes)) {
    // judged by the paired test
  } else if (c.here_better->value > c.here_worse->value) {
    c.status = OrderingStatus::kAgrees;
  } else if (c.here_better->value < c.here_worse->value) {
    c.status = OrderingStatus::kDisagrees;
  } else {
    c.status = OrderingStatus::kTied;
  }
}

}  // namespace

std::vector<OrderingCheck> CheckOrderings(const std::vector<PaperTable>& tables, const MeasuredTable& measured,
                                          const PairedOutcomes& outcomes) {
  std::vector<OrderingCheck> out;
  for (const auto& t : tables) {
    // Group by (harness task, harness metric, paper version); within a group, a setting is
    // (base model, scale, setting) and holds each method's value.
    using Setting = std::tuple<std::string, std::string, std::string>;
    std::map<std::tuple<std::string, std::string, std::string>, std::map<Setting, std::map<std::string, double>>> groups;
    for (const auto& e : t.entries) {
      if (e.harness_task.empty() || e.harness_method.empty()) continue;
      groups[{e.harness_task, e.harness_metric, e.paper_version}][{e.base_model, e.scale, e.setting}][e.harness_method] =
          e.value;
    }
    for (const auto& [gkey, settings] : groups) {
      const auto& [task, metric, version] = gkey;
      std::set<std::string> methods;
      for (const auto& [s, vals] : settings) {
        for (const auto& [m, v] : vals) methods.insert(m);
      }
      for (auto a = methods.begin(); a != methods.end(); ++a) {
        for (auto b = std::next(a); b != methods.end(); ++b) {
          int n = 0, a_ahead = 0, b_ahead = 0;
          std::string evidence_a, evidence_b;
          for (const auto& [s, vals] : settings) {
            auto va = vals.find(*a), vb = vals.find(*b);
            if (va == vals.end() || vb == vals.end()) continue;
            ++n;
            if (va->second > vb->second) ++a_ahead;
            if (vb->second > va->second) ++b_ahead;
            const auto& [base, scale, setting] = s;
            std::string label = base + (scale.empty() ? "" : "-" + scale) + (setting.empty() ? "" : " " + setting);
            evidence_a += (evidence_a.empty() ? "" : "; ") + label + ": " + util::FormatNumber(va->second) + " vs " +
                          util::FormatNumber(vb->second);
            evidence_b += (evidence_b.empty() ? "" : "; ") + label + ": " + util::FormatNumber(vb->second) + " vs " +
                          util::FormatNumber(va->second);
          }
          if (n == 0 || a_ahead == b_ahead) continue;  // the paper shows no direction
          OrderingCheck c;
          c.paper = t.paper;
          c.table = t.table;
          c.paper_version = version;
          c.arxiv = t.arxiv;
          c.source = t.source;
          c.task = task;
          const bool a_wins = a_ahead > b_ahead;
          c.better = a_wins ? *a : *b;
          c.worse = a_wins ? *b : *a;
          c.paper_settings = n;
          c.paper_agreeing = a_wins ? a_ahead : b_ahead;
          c.paper_evidence = a_wins ? evidence_a : evidence_b;
          Judge(c, measured, metric, outcomes);
          out.push_back(std::move(c));
        }
      }
    }
    for (const auto& o : t.orderings) {
      OrderingCheck c;
      c.paper = t.paper;
      c.table = o.table;
      c.paper_version = o.paper_version;
      c.arxiv = o.arxiv;
      c.source = o.source;
      c.task = o.task;
      c.better = o.better;
      c.worse = o.worse;
      c.paper_evidence = o.statement;
      c.caveat = o.caveat;
      Judge(c, measured, t.harness_metric, outcomes);
      out.push_back(std::move(c));
    }
  }
  return out;
}

}  // namespace reports
