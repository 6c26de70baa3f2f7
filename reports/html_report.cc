// Rendering of the HTML report (see html_report.h). Every user-provided string is escaped; long texts
// are truncated; the page carries no script and loads nothing.
#include "reports/html_report.h"

#include <cstdio>
#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>

#include "harness/util/error.h"
#include "harness/util/text.h"
#include "reports/html_util.h"
#include "reports/stats.h"
#include "reports/study.h"
#include "reports/svg_chart.h"
#include "tasks/metrics/metrics.h"

namespace reports {

namespace {

using html::Escape;
using nlohmann::json;

// Methods in the order a reader expects: the untrained base, the SFT baseline, then the four papers.
int MethodRank(const std::string& m) {
  static const std::vector<std::string> order = {"base", "sft", "crlft", "reft", "start", "wsrl"};
  auto it = std::find(order.begin(), order.end(), m);
  return it == order.end() ? static_cast<int>(order.size()) : static_cast<int>(it - order.begin());
}

bool MethodLess(const std::pair<std::string, std::string>& a, const std::pair<std::string, std::string>& b) {
  const int ra = MethodRank(a.first), rb = MethodRank(b.first);
  if (ra != rb) return ra < rb;
  return a < b;
}

std::string Str(const json& doc, const std::string& key) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string Nested(const json& doc, const std::string& a, const std::string& b) {
  auto it = doc.find(a);
  return it != doc.end() && it->is_object() ? Str(*it, b) : "";
}

// Metric columns: accuracy first, then the rest by name.
std::vector<std::string> MetricOrder(const std::set<std::string>& names) {
  std::vector<std::string> out(names.begin(), names.end());
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    if ((a == "accuracy") != (b == "accuracy")) return a == "accuracy";
    return a < b;
  });
  return out;
}

struct Cell {
  std::vector<double> values;
  std::vector<std::pair<double, double>> cis;  // per row, when known
  long long n = 0;
};

std::string RenderCell(const Cell& c) {
  if (c.values.empty()) return "<td class=\"num muted\">–</td>";
  double mean = 0;
  for (double v : c.values) mean += v;
  mean /= static_cast<double>(c.values.size());
  std::string ci;
  if (c.values.size() == 1) {
    if (!c.cis.empty()) ci = "[" + html::Percent(c.cis[0].first) + ", " + html::Percent(c.cis[0].second) + "]";
  } else {
    double ss = 0;
    for (double v : c.values) ss += (v - mean) * (v - mean);
    const double sd = std::sqrt(ss / static_cast<double>(c.values.size() - 1));
    const double half = 1.96 * sd / std::sqrt(static_cast<double>(c.values.size()));
    ci = "±" + html::Percent(half) + " over " + std::to_string(c.values.size()) + " seeds/runs";
  }
  return "<td class=\"num\" title=\"n=" + std::to_string(c.n) + "\">" + html::Percent(mean) +
         (ci.empty() ? "" : "<br><span class=\"ci\">" + ci + "</span>") + "</td>";
}

std::string Models(const std::vector<LoadedRun>& runs) {
  std::set<std::string> models;
  for (const auto& r : runs) {
    for (const auto& row : r.rows) models.insert(row.key.model.empty() ? "(unnamed)" : row.key.model);
  }
  std::string out;
  for (const auto& m : models) out += (out.empty() ? "" : ", ") + m;
  return out.empty() ? "(none)" : out;
}

bool HasStudies(const std::vector<LoadedRun>& runs) {
  return std::any_of(runs.begin(), runs.end(), [](const LoadedRun& r) { return !r.studies.empty(); });
}

void RenderHeader(std::ostringstream& out, const std::vector<LoadedRun>& runs, const ReportOptions& o) {
  out << "<header><h1>" << Escape(o.title) << "</h1>\n<p class=\"meta\">";
  for (const auto& r : runs) {
    out << "<code>" << Escape(r.results_path) << "</code> — created " << Escape(Str(r.document, "created"))
        << ", harness " << Escape(Nested(r.document, "harness", "version")) << " ("
        << Escape(Nested(r.document, "harness", "git_commit")) << "), " << r.rows.size() << " rows"
        << (r.samples_path.empty() ? ", no samples.jsonl" : ", " + std::to_string(r.samples.size()) + " samples")
        << "<br>";
  }
  out << "Model(s) run here: <b>" << Escape(Models(runs)) << "</b></p></header>\n";
  out << "<nav><a href=\"#results\">Results</a>" << (HasStudies(runs) ? "<a href=\"#studies\">Studies</a>" : "")
      << "<a href=\"#paper\">Paper comparison</a>"
         "<a href=\"#training\">Training curves</a>"
      << (o.trends.empty() ? "" : "<a href=\"#trends\">Trends</a>")
      << "<a href=\"#samples\">Samples</a><a href=\"#throughput\">Throughput</a>"
         "<a href=\"#environment\">Environment</a></nav>\n";
}

std::string OrderingSummary(const std::vector<OrderingCheck>& checks) {
  std::map<std::string, int> counts;
  for (const auto& c : checks) counts[OrderingStatusName(c.status)]++;
  std::string out = std::to_string(checks.size()) + " ordering claims: ";
  for (const auto& [k, v] : counts) out += std::to_string(v) + " " + k + "; ";
  return out;
}

void RenderResults(std::ostringstream& out, const std::vector<LoadedRun>& runs,
                   const std::vector<OrderingCheck>& checks) {
  out << "<section id=\"results\"><h2>Results: method × task</h2>\n"
         "<p class=\"meta\">Percent of problems; the bracket is the row's 95% interval (Wilson for accuracy), or "
         "±1.96·SD/√m across m seeds or runs when several rows share a cell.</p>\n";
  std::set<std::string> metric_names, tasks;
  std::set<std::pair<std::string, std::string>> method_models;
  for (const auto& r : runs) {
    for (const auto& row : r.rows) {
      for (const auto& [m, v] : row.values) metric_names.insert(m);
      tasks.insert(row.key.TaskLabel());
      method_models.insert({row.key.method, row.key.model});
    }
  }
  if (metric_names.empty()) {
    out << "<p class=\"note\">No results rows."
        << (HasStudies(runs) ? " This run's methods report studies instead: see <a href=\"#studies\">Studies</a>." : "")
        << "</p></section>\n";
    return;
  }
  std::vector<std::pair<std::string, std::string>> mm(method_models.begin(), method_models.end());
  std::sort(mm.begin(), mm.end(), MethodLess);
  bool first = true;
  for (const auto& metric : MetricOrder(metric_names)) {
    std::map<std::pair<std::pair<std::string, std::string>, std::string>, Cell> cells;
    for (const auto& r : runs) {
      for (const auto& row : r.rows) {
        auto v = row.values.find(metric);
        if (v == row.values.end()) continue;
        Cell& c = cells[{{row.key.method, row.key.model}, row.key.TaskLabel()}];
        c.values.push_back(v->second);
        c.n += row.n;
        if (auto ci = row.ci95.find(metric); ci != row.ci95.end()) {
          c.cis.push_back(ci->second);
        } else if (auto se = row.stderrs.find(metric); se != row.stderrs.end()) {
          c.cis.push_back({std::max(0.0, v->second - 1.96 * se->second), std::min(1.0, v->second + 1.96 * se->second)});
        }
      }
    }
    if (!first) out << "<details><summary>" << Escape(metric) << "</summary>\n";
    out << "<h3>" << Escape(metric) << "</h3>\n<div class=\"scroll\"><table class=\"results\""
        << (first ? " id=\"results-table\"" : "") << "><thead><tr><th>method</th><th>model</th>";
    for (const auto& t : tasks) out << "<th class=\"num\">" << Escape(t) << "</th>";
    out << "</tr></thead><tbody>\n";
    for (const auto& [method, model] : mm) {
      out << "<tr><td>" << Escape(method) << "</td><td>" << Escape(model) << "</td>";
      for (const auto& t : tasks) {
        auto it = cells.find({{method, model}, t});
        out << (it == cells.end() ? "<td class=\"num muted\">–</td>" : RenderCell(it->second));
      }
      out << "</tr>\n";
    }
    out << "</tbody></table></div>\n";
    if (!first) {
      out << "</details>\n";
    } else {
      out << "<p class=\"meta\">Against the papers (<a href=\"#paper\">details</a>): " << Escape(OrderingSummary(checks))
          << "</p>\n";
    }
    first = false;
  }
  out << "</section>\n";
}

MeasuredTable Measure(const std::vector<LoadedRun>& runs) {
  MeasuredTable out;
  std::map<std::tuple<std::string, std::string, std::string>, std::set<std::string>> models;
  for (const auto& r : runs) {
    for (const auto& row : r.rows) {
      for (const auto& [metric, v] : row.values) {
        auto key = std::make_tuple(row.key.task, row.key.method, metric);
        MeasuredCell& c = out[key];
        c.value = (c.value * c.rows + v) / (c.rows + 1);
        c.rows++;
        c.metric = metric;
        models[key].insert(row.key.model);
      }
    }
  }
  for (auto& [k, c] : out) c.models.assign(models[k].begin(), models[k].end());
  return out;
}

// Greedy per-problem correctness of every (task, method), for the paired tests of the orderings.
PairedOutcomes Outcomes(const std::vector<LoadedRun>& runs) {
  PairedOutcomes out;
  for (const auto& r : runs) {
    for (const auto& s : r.samples) {
      if (s.correct.empty()) continue;
      out[{s.key.task, s.key.method}][{s.key.seed, s.key.variant, s.id}] = s.correct.front();
    }
  }
  return out;
}

std::string HereText(const std::optional<MeasuredCell>& c, const std::string& method) {
  if (!c) return "<span class=\"muted\">" + Escape(method) + " not run</span>";
  std::string models;
  for (const auto& m : c->models) models += (models.empty() ? "" : ", ") + m;
  return Escape(method) + " " + html::Percent(c->value) + " <span class=\"ci\">(" + Escape(c->metric) + ", " +
         Escape(models) + (c->rows > 1 ? ", mean of " + std::to_string(c->rows) + " rows" : "") + ")</span>";
}

void RenderPaper(std::ostringstream& out, const std::vector<LoadedRun>& runs, const std::vector<PaperTable>& tables,
                 const std::vector<OrderingCheck>& checks) {
  out << "<section id=\"paper\"><h2>Paper comparison</h2>\n<p class=\"note\">Scale differs: the papers' numbers "
         "come from 125M–34B models (each table says which), <b>this run used " +
             Escape(Models(runs)) +
             "</b>. Absolute values are not comparable; the check is whether the papers' <em>orderings</em> "
             "(method A beats method B on a task) hold here.</p>\n";
  out << "<p class=\"meta\">" << Escape(OrderingSummary(checks)) << "</p>\n<div class=\"scroll\"><table id=\"orderings\"><thead><tr><th>claim</th><th>paper (scale, "
         "version)</th><th>here</th><th>status</th></tr></thead><tbody>\n";
  // Claims that can be judged first.
  std::vector<const OrderingCheck*> sorted;
  for (const auto& c : checks) sorted.push_back(&c);
  std::stable_sort(sorted.begin(), sorted.end(), [](const OrderingCheck* a, const OrderingCheck* b) {
    return (a->status != OrderingStatus::kNotRun) > (b->status != OrderingStatus::kNotRun);
  });
  for (const OrderingCheck* c : sorted) {
    const char* cls = c->status == OrderingStatus::kAgrees      ? "good"
                      : c->status == OrderingStatus::kDisagrees ? "bad"
                                                                : "muted";
    out << "<tr><td><b>" << Escape(c->better) << " &gt; " << Escape(c->worse) << "</b>"
        << (c->task.empty() ? "" : " on " + Escape(c->task)) << "</td><td>" << Escape(c->paper_evidence);
    if (c->paper_settings > 0) {
      out << "<br><span class=\"ci\">" << c->paper_agreeing << " of " << c->paper_settings << " settings</span>";
    }
    out << "<br><span class=\"ci\">" << Escape(c->table) << ", " << Escape(c->paper_version) << ", arXiv "
        << Escape(c->arxiv) << (c->caveat.empty() ? "" : "; caveat: " + Escape(c->caveat)) << "</span></td><td>"
        << HereText(c->here_better, c->better) << "<br>" << HereText(c->here_worse, c->worse);
    if (c->p_value) {
      char test[160];
      std::snprintf(test, sizeof test, "paired over %ld problems: %ld right only under %s, %ld only under %s; "
                    "McNemar p = %.3g", c->pairs, c->better_only, c->better.c_str(), c->worse_only, c->worse.c_str(),
                    *c->p_value);
      out << "<br><span class=\"ci\">" << Escape(test) << "</span>";
    }
    out << "</td><td class=\"" << cls << "\">" << OrderingStatusName(c->status) << "</td></tr>\n";
  }
  out << "</tbody></table></div>\n<h3>Published tables</h3>\n";
  for (const auto& t : tables) {
    out << "<details class=\"paper-table\"><summary>" << Escape(t.paper) << " — " << Escape(t.table) << " ("
        << Escape(t.paper_version) << ", scale " << Escape(t.scale) << ")</summary>\n<p class=\"meta\">arXiv "
        << Escape(t.arxiv) << "; " << Escape(t.metric) << "; source: " << Escape(t.source)
        << (t.notes.empty() ? "" : "<br>" + Escape(t.notes)) << "<br>file reports/paper_tables/" << Escape(t.file)
        << "</p>\n";
    if (!t.entries.empty()) {
      out << "<div class=\"scroll\"><table><thead><tr><th>model (scale)</th><th>method</th><th>task</th>"
             "<th>setting</th><th class=\"num\">value</th><th>version</th><th>here maps to</th></tr></thead><tbody>\n";
      for (const auto& e : t.entries) {
        out << "<tr><td>" << Escape(e.base_model) << " (" << Escape(e.scale) << ")</td><td>" << Escape(e.method)
            << "</td><td>" << Escape(e.task) << "</td><td>" << Escape(e.setting) << "</td><td class=\"num\">"
            << html::Fixed(e.value, 2) << "</td><td title=\"" << Escape(e.source) << "\">" << Escape(e.paper_version)
            << "</td><td>"
            << (e.harness_method.empty() || e.harness_task.empty()
                    ? "<span class=\"muted\">–</span>"
                    : Escape(e.harness_task) + " / " + Escape(e.harness_method))
            << "</td></tr>\n";
      }
      out << "</tbody></table></div>\n";
    }
    for (const auto& o : t.orderings) out << "<p>" << Escape(o.statement) << " <span class=\"ci\">(" << Escape(o.source) << ")</span></p>\n";
    out << "</details>\n";
  }
  out << "</section>\n";
}

double NumberOr(const json& point, const char* key) {
  auto it = point.find(key);
  return it != point.end() && it->is_number() ? it->get<double>() : NAN;
}

void RenderTraining(std::ostringstream& out, const std::vector<LoadedRun>& runs) {
  out << "<section id=\"training\"><h2>Training curves</h2>\n";
  struct Log {
    std::string name;
    const json* points;
  };
  std::vector<Log> logs;
  for (const auto& r : runs) {
    auto it = r.document.find("training_logs");
    if (it == r.document.end() || !it->is_array()) continue;
    for (size_t i = 0; i < it->size(); ++i) {
      const json& log = (*it)[i];
      if (!log.is_object() || !log.contains("points") || !log["points"].is_array()) {
        throw util::InputError(util::Location{r.results_path, 0, "training_logs[" + std::to_string(i) + "].points"},
                               "expected an object with a \"points\" array");
      }
      std::string name = Str(log, "method") + "/" + Str(log, "task") + (log.contains("seed") ? "/seed" + Str(log, "seed") : "");
      if (runs.size() > 1) name += " (" + r.results_path + ")";
      logs.push_back({name, &log["points"]});
    }
  }
  if (logs.empty()) {
    out << "<p class=\"muted\">No training logs in these results (evaluation-only run).</p></section>\n";
    return;
  }
  out << "<div class=\"charts\">\n";
  const std::pair<const char*, const char*> quantities[] = {
      {"loss", "training loss"}, {"reward", "mean reward"}, {"kl", "KL to the reference (per sequence)"},
      {"value_loss", "value loss"}, {"eval_accuracy", "held-out accuracy"}, {"lr", "learning rate"}};
  for (const auto& [key, title] : quantities) {
    std::vector<svg::Series> series;
    bool any = false;
    for (const auto& log : logs) {
      // The quantity itself, and for held-out accuracy one curve per task ("eval_accuracy:<task>").
      std::vector<std::string> keys = {key};
      if (std::string(key) == "eval_accuracy") {
        std::set<std::string> per_task;
        for (const auto& p : *log.points) {
          if (!p.is_object()) continue;
          for (const auto& [k, v] : p.items()) {
            if (k.rfind("eval_accuracy:", 0) == 0) per_task.insert(k);
          }
        }
        keys.insert(keys.end(), per_task.begin(), per_task.end());
      }
      for (const auto& k : keys) {
        svg::Series s{k == key ? log.name : log.name + " " + k.substr(k.find(':') + 1), {}};
        for (const auto& p : *log.points) {
          if (!p.is_object()) continue;
          const double y = NumberOr(p, k.c_str());
          if (std::isfinite(y)) {
            s.points.push_back({NumberOr(p, "step"), y});
            any = true;
          }
        }
        series.push_back(std::move(s));
      }
    }
    if (!any) continue;
    svg::ChartOptions o;
    o.title = title;
    o.y_label = key;
    out << "<figure>" << svg::LineChart(series, o) << "</figure>\n";
  }
  out << "</div></section>\n";
}

// "0.533 ± 0.287" (mean ± Student-t 95% half-width over seeds); one seed: the value alone.
std::string MeanPlusMinus(const stats::MeanInterval& m) {
  if (m.n == 0) return "–";
  return html::Fixed(m.mean, 3) + (m.n >= 2 ? " ± " + html::Fixed(m.half, 3) : "");
}

// One chart per curve: a line per arm (mean over seeds) with its 95% band, and the switch marker.
void RenderStudyCharts(std::ostringstream& out, const StudyGroup& g) {
  out << "<div class=\"charts\">\n";
  for (const auto& key : g.curve_keys) {
    std::vector<svg::Series> series;
    for (const auto& arm : g.arms) {
      svg::Series s{arm.arm, {}};
      auto curve = arm.curves.find(key);
      if (curve != arm.curves.end()) {
        for (const auto& p : curve->second) {
          s.points.push_back({p.x, p.mean});
          s.band.push_back({p.x, p.lo, p.hi});
        }
      }
      series.push_back(std::move(s));
    }
    svg::ChartOptions o;
    o.title = g.curve_labels.at(key);
    o.x_label = g.x_label;
    o.y_label = key;
    if (g.switch_x) o.markers.push_back({*g.switch_x, "switch"});
    out << "<figure>" << svg::LineChart(series, o) << "</figure>\n";
  }
  out << "</div>\n";
}

// The arms' scalars: mean ± 95% half-width over seeds, and the number of seeds.
void RenderStudyTable(std::ostringstream& out, const StudyGroup& g) {
  out << "<div class=\"scroll\"><table class=\"study\"><thead><tr><th>arm</th><th>method</th>";
  for (const auto& key : g.scalar_keys) {
    auto label = g.scalar_labels.find(key);
    out << "<th class=\"num\">" << Escape(label == g.scalar_labels.end() ? key : label->second) << "</th>";
  }
  out << "<th class=\"num\">seeds</th></tr></thead><tbody>\n";
  for (const auto& arm : g.arms) {
    std::string methods;
    for (const auto& m : arm.methods) methods += (methods.empty() ? "" : ", ") + m;
    out << "<tr><td>" << Escape(arm.arm) << "</td><td>" << Escape(methods) << "</td>";
    for (const auto& key : g.scalar_keys) {
      auto it = arm.scalars.find(key);
      if (it == arm.scalars.end() || it->second.n == 0) {
        out << "<td class=\"num muted\">–</td>";
        continue;
      }
      out << "<td class=\"num\" title=\"n=" << it->second.n << "\">" << MeanPlusMinus(it->second)
          << (it->second.n != static_cast<int>(arm.seeds.size()) ? " <span class=\"ci\">(n=" +
                                                                        std::to_string(it->second.n) + ")</span>"
                                                                  : "")
          << "</td>";
    }
    out << "<td class=\"num\">" << arm.seeds.size() << "</td></tr>\n";
  }
  out << "</tbody></table></div>\n";
}

// Studies (results.json "studies"): one part per study name with its charts, scalar table and notes.
void RenderStudies(std::ostringstream& out, const std::vector<LoadedRun>& runs) {
  std::vector<StudyRecord> records;
  for (const auto& r : runs) records.insert(records.end(), r.studies.begin(), r.studies.end());
  if (records.empty()) return;
  out << "<section id=\"studies\"><h2>Studies</h2>\n<p class=\"meta\">Methods that train no text model report "
         "a study instead of results rows. Each line is one arm's mean over seeds; the shaded band is its 95% "
         "Student-t interval over seeds (mean ± t<sub>0.975, n−1</sub>·SD/√n; none with one seed); the dashed "
         "line marks the switch. Tables: mean ± the same half-width, and the number of seeds.</p>\n";
  for (const StudyGroup& g : GroupStudies(records)) {
    out << "<h3 class=\"study-title\">" << Escape(g.title) << " <span class=\"ci\">(" << Escape(g.name)
        << ")</span></h3>\n";
    RenderStudyCharts(out, g);
    if (!g.scalar_keys.empty()) RenderStudyTable(out, g);
    for (const auto& arm : g.arms) {
      for (const auto& note : arm.notes) {
        out << "<p class=\"note\"><b>" << Escape(arm.arm) << ":</b> " << Escape(html::Truncate(note, 2000)) << "</p>\n";
      }
    }
  }
  out << "</section>\n";
}

void RenderTrends(std::ostringstream& out, const ReportOptions& o) {
  if (o.trends.empty()) return;
  out << "<section id=\"trends\"><h2>Trends over recent runs</h2>\n<p class=\"meta\">From <code>"
      << Escape(o.history_path) << "</code>, oldest → newest, mean over seeds.</p>\n"
      << "<div class=\"scroll\"><table id=\"trend-table\"><thead><tr><th>task</th><th>method</th><th>model</th>"
         "<th>metric</th><th>trend</th><th class=\"num\">first</th><th class=\"num\">last</th><th class=\"num\">runs"
         "</th><th>last commit</th></tr></thead><tbody>\n";
  for (const auto& t : o.trends) {
    std::vector<double> values;
    for (const auto& p : t.points) values.push_back(p.value);
    out << "<tr><td>" << Escape(t.variant.empty() ? t.task : t.task + "[" + t.variant + "]") << "</td><td>"
        << Escape(t.method) << "</td><td>" << Escape(t.model) << "</td><td>" << Escape(t.metric) << "</td><td>"
        << svg::Sparkline(values) << "</td><td class=\"num\">" << html::Fixed(values.front(), 4)
        << "</td><td class=\"num\">" << html::Fixed(values.back(), 4) << "</td><td class=\"num\">" << values.size()
        << "</td><td>" << Escape(t.points.back().git_commit) << "</td></tr>\n";
  }
  out << "</tbody></table></div></section>\n";
}

std::string Plural(size_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// "2 tool calls, 1 hint round" (+ "; tool-call budget reached" when the run was cut short).
std::string TrajectorySummary(const Trajectory& t) {
  return Plural(t.tool_calls.size(), "tool call") + ", " + Plural(static_cast<size_t>(t.hint_rounds), "hint round") +
         (t.truncated_calls ? "; tool-call budget reached" : "");
}

// One piece of a tool-integrated text: model text, a code block or a tool output; [begin, end) is the
// piece's content in the text, without the markers.
struct Segment {
  enum Kind { kText, kCode, kOutput } kind;
  size_t begin, end;
};

// Splits `text` at its <code>…</code> and <output>…</output> markers. An unclosed block (a cut text)
// runs to the end. The newline the producer writes inside each marker ("<code>\n…\n</code>") and
// around it belongs to the marker.
std::vector<Segment> SplitTrajectory(const std::string& text) {
  static const std::string kCodeOpen = "<code>", kCodeClose = "</code>", kOutOpen = "<output>", kOutClose = "</output>";
  auto trim = [&](Segment s) {
    if (s.begin < s.end && text[s.begin] == '\n') ++s.begin;
    if (s.begin < s.end && text[s.end - 1] == '\n') --s.end;
    return s;
  };
  std::vector<Segment> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t code = text.find(kCodeOpen, pos), output = text.find(kOutOpen, pos);
    const size_t next = std::min(code, output);
    out.push_back(trim({Segment::kText, pos, next == std::string::npos ? text.size() : next}));
    if (next == std::string::npos) break;
    const bool is_code = next == code;
    const size_t body = next + (is_code ? kCodeOpen : kOutOpen).size();
    const std::string& close = is_code ? kCodeClose : kOutClose;
    const size_t end = text.find(close, body);
    out.push_back(trim({is_code ? Segment::kCode : Segment::kOutput, body, end == std::string::npos ? text.size() : end}));
    pos = end == std::string::npos ? text.size() : end + close.size();
  }
  return out;
}

std::string StatusBadge(const std::string& status) {
  return std::string("<span class=\"badge ") + (status == "passed" ? "tool-ok" : "tool-fail") + "\">" +
         Escape(status.empty() ? "unknown" : status) + "</span>";
}

// A tool-integrated completion: the text (cut to max_bytes) split into model text, code blocks and
// outputs; each code block is followed by its call's status badge (calls matched to code blocks in
// order); each inserted hint is highlighted at its first occurrence in model text after the previous
// hint. Calls and hints that the shown text does not hold are listed at the end.
std::string RenderTrajectory(const Trajectory& t, size_t max_bytes) {
  const std::string text = html::Truncate(t.text, max_bytes);
  const std::vector<Segment> segments = SplitTrajectory(text);
  struct Located {
    size_t begin, end;
    const InsertedHint* hint;
  };
  std::vector<Located> located;
  std::vector<const InsertedHint*> missing;
  size_t from = 0;
  for (const auto& h : t.hints) {
    std::optional<Located> found;
    for (size_t at = h.text.empty() ? std::string::npos : text.find(h.text, from); at != std::string::npos && !found;
         at = text.find(h.text, at + 1)) {
      for (const auto& seg : segments) {
        if (seg.kind == Segment::kText && seg.begin <= at && at + h.text.size() <= seg.end) {
          found = Located{at, at + h.text.size(), &h};
        }
      }
    }
    if (!found) {
      missing.push_back(&h);
      continue;
    }
    located.push_back(*found);
    from = found->end;
  }
  const std::string_view view(text);
  std::ostringstream out;
  out << "<div class=\"trajectory\">";
  size_t calls_shown = 0;
  for (const auto& seg : segments) {
    if (seg.kind == Segment::kText) {
      bool blank = true;
      for (size_t i = seg.begin; i < seg.end && blank; ++i) blank = std::isspace(static_cast<unsigned char>(text[i])) != 0;
      if (blank) continue;
      out << "<pre class=\"tool-text\">";
      size_t at = seg.begin;
      for (const auto& l : located) {
        if (l.begin < seg.begin || l.end > seg.end) continue;
        out << Escape(view.substr(at, l.begin - at)) << "<span class=\"hint\" title=\"inserted hint: "
            << Escape(l.hint->kind.empty() ? "hint" : l.hint->kind) << ", round " << l.hint->round
            << (l.hint->where.empty() ? "" : ", at " + Escape(l.hint->where)) << "\">"
            << Escape(view.substr(l.begin, l.end - l.begin)) << "</span>";
        at = l.end;
      }
      out << Escape(view.substr(at, seg.end - at)) << "</pre>";
      continue;
    }
    out << "<pre class=\"" << (seg.kind == Segment::kCode ? "tool-code" : "tool-out") << "\">"
        << Escape(view.substr(seg.begin, seg.end - seg.begin)) << "</pre>";
    if (seg.kind == Segment::kCode) {
      if (calls_shown < t.tool_calls.size()) {
        const ToolCall& call = t.tool_calls[calls_shown];
        out << "<div class=\"tool-status\">" << StatusBadge(call.status) << " <span class=\"ci\">call "
            << calls_shown + 1 << ", " << html::Fixed(call.seconds, 3) << " s, round " << call.round << "</span></div>";
      }
      ++calls_shown;
    }
  }
  if (calls_shown < t.tool_calls.size()) {
    out << "<p class=\"ci\">" << Plural(t.tool_calls.size() - calls_shown, "more tool call")
        << " beyond the text shown:";
    for (size_t i = calls_shown; i < t.tool_calls.size(); ++i) out << " " << StatusBadge(t.tool_calls[i].status);
    out << "</p>";
  }
  if (!missing.empty()) {
    out << "<p class=\"ci\">hints not found in the text shown:";
    for (const InsertedHint* h : missing) out << " <span class=\"hint\">" << Escape(html::Truncate(h->text, 200)) << "</span>";
    out << "</p>";
  }
  out << "</div>";
  return out.str();
}

void RenderSamples(std::ostringstream& out, const std::vector<LoadedRun>& runs, const ReportOptions& o) {
  out << "<section id=\"samples\"><h2>Samples</h2>\n<p class=\"meta\">Per task, each (method, model, seed): "
         "the first sample of each problem (the one accuracy uses). Texts over "
      << o.max_text_bytes << " bytes are cut.</p>\n";
  std::map<std::string, std::vector<std::pair<const LoadedRun*, const MetricRow*>>> by_task;
  for (const auto& r : runs) {
    for (const auto& row : r.rows) by_task[row.key.TaskLabel()].push_back({&r, &row});
  }
  bool any = false;
  for (const auto& [task, rows] : by_task) {
    out << "<h3>" << Escape(task) << "</h3>\n";
    for (const auto& [run, row] : rows) {
      std::vector<const SampleRecord*> samples;
      for (const auto& s : run->samples) {
        if (s.key == row->key) samples.push_back(&s);
      }
      if (samples.empty()) {
        out << "<p class=\"muted\">" << Escape(row->key.Label()) << ": no samples</p>\n";
        continue;
      }
      any = true;
      long right = 0;
      // Tool-integrated rows: mean tool calls and hint rounds of the first completion, over the problems
      // that have trajectories.
      size_t with_trajectory = 0, calls = 0, rounds = 0;
      for (const auto* s : samples) {
        right += s->correct[0] ? 1 : 0;
        if (s->trajectories.empty()) continue;
        ++with_trajectory;
        calls += s->trajectories[0].tool_calls.size();
        rounds += static_cast<size_t>(s->trajectories[0].hint_rounds);
      }
      std::string tool_line;
      if (with_trajectory > 0) {
        const double n = static_cast<double>(with_trajectory);
        tool_line = "; " + html::Fixed(calls / n, 2) + " tool calls per problem, " + html::Fixed(rounds / n, 2) +
                    " hint rounds per problem" +
                    (with_trajectory < samples.size() ? " (over the " + std::to_string(with_trajectory) +
                                                            " problems with trajectories)"
                                                      : "");
      }
      out << "<details class=\"drill\"><summary>" << Escape(row->key.method) << " / " << Escape(row->key.model)
          << " / seed " << row->key.seed << " — " << right << " of " << samples.size() << " first samples correct"
          << tool_line
          << (samples.size() > o.max_samples_per_row ? " (showing " + std::to_string(o.max_samples_per_row) + ")" : "")
          << "</summary>\n<div class=\"scroll\"><table class=\"samples\"><thead><tr><th>id</th><th>correct</th>"
             "<th>gold</th><th>extracted</th><th>rule</th><th>prompt and completion</th></tr></thead><tbody>\n";
      for (size_t i = 0; i < samples.size() && i < o.max_samples_per_row; ++i) {
        const SampleRecord& s = *samples[i];
        const bool ok = s.correct[0];
        const std::string extracted =
            s.extracted.empty() ? "" : (s.extracted[0] ? *s.extracted[0] : std::string("(none)"));
        long right_k = std::count(s.correct.begin(), s.correct.end(), true);
        out << "<tr class=\"sample-row " << (ok ? "correct" : "wrong") << "\"><td>" << Escape(s.id) << "</td><td class=\""
            << (ok ? "good\">✓" : "bad\">✗") << (s.correct.size() > 1 ? " <span class=\"ci\">" + std::to_string(right_k) +
                                                                             "/" + std::to_string(s.correct.size()) + "</span>"
                                                                       : "")
            << "</td><td>" << Escape(html::Truncate(s.gold, 200)) << "</td><td>" << Escape(html::Truncate(extracted, 200))
            << "</td><td>" << Escape(s.rules.empty() ? "" : s.rules[0]) << "</td><td><details><summary>"
            << Escape(html::Truncate(util::CollapseWhitespace(s.prompt), 80)) << "</summary><b>prompt</b><pre>"
            << Escape(html::Truncate(s.prompt, o.max_text_bytes)) << "</pre>";
        if (!s.trajectories.empty()) {
          out << "<b>completion</b> <span class=\"ci tool-summary\">" << Escape(TrajectorySummary(s.trajectories[0]))
              << "</span>" << RenderTrajectory(s.trajectories[0], o.max_text_bytes);
        } else {
          out << "<b>completion</b><pre>"
              << Escape(html::Truncate(s.completions.empty() ? "" : s.completions[0], o.max_text_bytes)) << "</pre>";
        }
        out << "</details></td></tr>\n";
      }
      out << "</tbody></table></div></details>\n";
    }
  }
  if (!any) out << "<p class=\"muted\">No samples.jsonl beside these results.</p>\n";
  out << "</section>\n";
}

// Held-out difficulty (results.json "difficulty"): per task and method, greedy accuracy pooled over seeds
// in a steps × number-scale grid, each cell shaded by accuracy with its Wilson 95% interval; the cell of
// the knobs the model trained on is outlined.
void RenderDifficulty(std::ostringstream& out, const std::vector<LoadedRun>& runs) {
  struct Cell {
    long correct = 0, n = 0;
    bool trained = false;
  };
  // (run, task, method) -> steps -> max_value -> cell
  std::map<std::tuple<size_t, std::string, std::string>, std::map<long, std::map<long, Cell>>> grids;
  for (size_t r = 0; r < runs.size(); ++r) {
    auto it = runs[r].document.find("difficulty");
    if (it == runs[r].document.end() || !it->is_array()) continue;
    for (size_t i = 0; i < it->size(); ++i) {
      const json& c = (*it)[i];
      for (const char* key : {"task", "method", "steps", "max_value", "n", "correct"}) {
        if (!c.is_object() || !c.contains(key)) {
          throw util::InputError(util::Location{runs[r].results_path, 0, "difficulty[" + std::to_string(i) + "]." + key},
                                 "expected a grid cell with task, method, steps, max_value, n and correct");
        }
      }
      Cell& cell = grids[{r, Str(c, "task"), Str(c, "method")}][c["steps"].get<long>()][c["max_value"].get<long>()];
      cell.correct += c["correct"].get<long>();
      cell.n += c["n"].get<long>();
      cell.trained = cell.trained || c.value("trained", false);
    }
  }
  if (grids.empty()) return;
  out << "<section id=\"difficulty\"><h2>Held-out difficulty</h2>\n<p class=\"meta\">Greedy accuracy on synthetic test "
         "splits beyond the training distribution: rows are reasoning steps per problem, columns the largest number a "
         "problem states. An outlined cell is the one the model trained on (none when training drew from the generator's default range). Brackets: Wilson 95% interval, pooled over "
         "seeds.</p>\n";
  for (const auto& [key, rows] : grids) {
    const auto& [run, task, method] = key;
    std::set<long> columns;
    for (const auto& [steps, row] : rows) {
      for (const auto& [max_value, cell] : row) columns.insert(max_value);
    }
    out << "<h3>" << Escape(task) << " / " << Escape(method)
        << (runs.size() > 1 ? " (" + Escape(runs[run].results_path) + ")" : "") << "</h3>\n"
        << "<div class=\"scroll\"><table class=\"difficulty\"><thead><tr><th>steps \\ max value</th>";
    for (long c : columns) out << "<th class=\"num\">" << c << "</th>";
    out << "</tr></thead><tbody>\n";
    for (const auto& [steps, row] : rows) {
      out << "<tr><th>" << steps << "</th>";
      for (long c : columns) {
        auto cell = row.find(c);
        if (cell == row.end() || cell->second.n == 0) {
          out << "<td class=\"num muted\">–</td>";
          continue;
        }
        const double acc = static_cast<double>(cell->second.correct) / cell->second.n;
        double low = 0, high = 0;
        tasks::metrics::WilsonInterval(cell->second.correct, static_cast<int>(cell->second.n), 1.96, &low, &high);
        // Shade from white (0%) to green (100%).
        const int light = 100 - static_cast<int>(std::lround(acc * 45));
        out << "<td class=\"num\" style=\"background:hsl(130,45%," << light << "%)"
            << (cell->second.trained ? ";outline:2px solid #333;outline-offset:-2px" : "") << "\">"
            << html::Fixed(100 * acc, 1) << " <span class=\"ci\">[" << html::Fixed(100 * low, 1) << "–"
            << html::Fixed(100 * high, 1) << "] n=" << cell->second.n << "</span></td>";
      }
      out << "</tr>\n";
    }
    out << "</tbody></table></div>\n";
  }
  out << "</section>\n";
}

void RenderThroughput(std::ostringstream& out, const std::vector<LoadedRun>& runs) {
  out << "<section id=\"throughput\"><h2>Throughput</h2>\n";
  bool any = false;
  for (const auto& r : runs) {
    auto profile = r.document.find("profile");
    if (profile == r.document.end() || !profile->is_object()) continue;
    auto phases = profile->find("phases");
    if (phases == profile->end() || !phases->is_array() || phases->empty()) continue;
    any = true;
    if (runs.size() > 1) out << "<h3>" << Escape(r.results_path) << "</h3>\n";
    out << "<div class=\"scroll\"><table class=\"throughput\"><thead><tr><th>phase</th><th class=\"num\">wall s</th>"
           "<th class=\"num\">CPU s</th><th class=\"num\">throughput</th><th>unit</th><th class=\"num\">steps/s</th>"
           "<th class=\"num\">peak RSS</th></tr></thead><tbody>\n";
    for (const auto& p : *phases) {
      if (!p.is_object()) continue;
      const double rss = NumberOr(p, "peak_rss_bytes");
      out << "<tr><td>" << Escape(Str(p, "name")) << "</td><td class=\"num\">" << html::Fixed(NumberOr(p, "wall_seconds"), 3)
          << "</td><td class=\"num\">" << html::Fixed(NumberOr(p, "cpu_seconds"), 3) << "</td><td class=\"num\">"
          << html::Fixed(NumberOr(p, "throughput"), 1) << "</td><td>" << Escape(Str(p, "unit")) << "</td><td class=\"num\">"
          << (std::isfinite(NumberOr(p, "steps_per_second")) ? html::Fixed(NumberOr(p, "steps_per_second"), 2) : "–")
          << "</td><td class=\"num\">" << (std::isfinite(rss) ? html::Bytes(rss) : "–") << "</td></tr>\n";
    }
    out << "</tbody></table></div>\n";
    json rest = *profile;
    rest.erase("phases");
    if (!rest.empty()) out << "<details><summary>other profile fields</summary><pre>" << Escape(rest.dump(2)) << "</pre></details>\n";
  }
  if (!any) out << "<p class=\"muted\">No profile in these results.</p>\n";
  out << "</section>\n";
}

void FlattenInto(const json& value, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [k, v] : value.items()) FlattenInto(v, prefix.empty() ? k : prefix + "." + k, out);
  } else {
    out.push_back({prefix, value.is_string() ? value.get<std::string>() : value.dump()});
  }
}

void RenderEnvironment(std::ostringstream& out, const std::vector<LoadedRun>& runs) {
  out << "<section id=\"environment\"><h2>Environment and configuration</h2>\n";
  for (const auto& r : runs) {
    if (runs.size() > 1) out << "<h3>" << Escape(r.results_path) << "</h3>\n";
    auto env = r.document.find("environment");
    if (env != r.document.end() && env->is_object()) {
      std::vector<std::pair<std::string, std::string>> rows;
      FlattenInto(*env, "", rows);
      out << "<table class=\"environment\"><tbody>\n";
      for (const auto& [k, v] : rows) {
        out << "<tr><th>" << Escape(k) << "</th><td>" << Escape(html::Truncate(v, 500)) << "</td></tr>\n";
      }
      out << "</tbody></table>\n";
    } else {
      out << "<p class=\"muted\">No environment recorded.</p>\n";
    }
    auto config = r.document.find("config");
    if (config != r.document.end()) {
      out << "<details><summary>resolved configuration</summary><pre>" << Escape(config->dump(2)) << "</pre></details>\n";
    }
  }
  out << "</section>\n";
}

}  // namespace

std::string RenderHtmlReport(const std::vector<LoadedRun>& runs, const ReportOptions& options) {
  const std::vector<PaperTable> tables = options.paper_tables ? *options.paper_tables : BuiltinPaperTables();
  std::ostringstream out;
  out << html::PageStart(options.title);
  RenderHeader(out, runs, options);
  const std::vector<OrderingCheck> checks = CheckOrderings(tables, Measure(runs), Outcomes(runs));
  RenderResults(out, runs, checks);
  RenderStudies(out, runs);
  RenderPaper(out, runs, tables, checks);
  RenderTraining(out, runs);
  RenderDifficulty(out, runs);
  RenderTrends(out, options);
  RenderSamples(out, runs, options);
  RenderThroughput(out, runs);
  RenderEnvironment(out, runs);
  out << "<footer class=\"meta\"><p>Generated by harness report. Self-contained: no scripts, no network.</p></footer>\n";
  out << html::PageEnd();
  return out.str();
}

std::string RenderHtmlReport(const std::vector<nlohmann::json>& results,
                             const std::vector<std::vector<nlohmann::json>>& samples, const ReportOptions& options) {
  if (samples.size() > results.size()) {
    throw util::InputError("RenderHtmlReport: more sample sets (" + std::to_string(samples.size()) +
                           ") than results documents (" + std::to_string(results.size()) + ")");
  }
  std::vector<LoadedRun> runs;
  for (size_t i = 0; i < results.size(); ++i) {
    const std::string name = "results[" + std::to_string(i) + "]";
    LoadedRun run = ParseResults(results[i], name);
    if (i < samples.size()) {
      for (size_t j = 0; j < samples[i].size(); ++j) {
        run.samples.push_back(ParseSample(samples[i][j], util::Location{name + ".samples", static_cast<long>(j + 1), ""}));
      }
      if (!samples[i].empty()) run.samples_path = name + ".samples";
    }
    runs.push_back(std::move(run));
  }
  return RenderHtmlReport(runs, options);
}

}  // namespace reports
