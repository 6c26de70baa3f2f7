// `harness compare` (run-vs-run significance tests, the nightly CI gate) and `harness report`
// (self-contained HTML report from one or more results.json files).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "harness/cli/command.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "reports/compare.h"
#include "reports/history.h"
#include "reports/html_report.h"
#include "reports/paper_tables.h"

namespace cli {

namespace {

struct CompareArgs {
  std::string base;
  std::string candidate;
  double alpha = 0.05;
  double max_drop = 0.0;
  bool json = false;
  bool holm = false;
  std::string html_out;
};

int RunCompare(const CompareArgs& args) {
  reports::CompareOptions options;
  options.alpha = args.alpha;
  options.max_drop = args.max_drop;
  options.holm = args.holm;
  const reports::CompareReport report = reports::CompareFiles(args.base, args.candidate, options);
  if (args.json) {
    std::cout << reports::CompareReportToJson(report).dump(2) << "\n";
  } else {
    std::cout << reports::RenderCompareText(report);
  }
  if (!args.html_out.empty()) {
    util::WriteFileAtomic(args.html_out, reports::RenderCompareHtml(report));
    std::cerr << "wrote " << args.html_out << "\n";
  }
  if (report.regression()) {
    for (const auto& f : report.failures) std::cerr << "regression: " << f << "\n";
    return kRunFailed;
  }
  return kOk;
}

void RegisterCompare(CLI::App& app, Action* selected) {
  auto args = std::make_shared<CompareArgs>();
  auto* cmd = app.add_subcommand(
      "compare",
      "Compare two runs (paired tests over shared samples); exit 1 when a metric drops significantly");
  cmd->add_option("BASE", args->base, "Baseline results.json (samples.jsonl beside it is used when present)")
      ->required();
  cmd->add_option("NEW", args->candidate, "New results.json")->required();
  cmd->add_option("--alpha", args->alpha, "Significance level of each test")->capture_default_str();
  cmd->add_option("--max-drop", args->max_drop,
                  "Fail only when a significant drop exceeds this absolute amount (e.g. 0.02)")
      ->capture_default_str();
  cmd->add_flag("--json", args->json, "Print the comparison as JSON");
  cmd->add_flag("--holm", args->holm,
                "Holm-adjust p-values over all tested rows and metrics (family-wise error rate at --alpha)");
  cmd->add_option("--html", args->html_out, "Also write an HTML diff listing the flipped samples");
  cmd->callback([selected, args] { *selected = [args] { return RunCompare(*args); }; });
}

struct ReportArgs {
  std::vector<std::string> inputs;
  std::string out;
  std::string history;
  int trend_runs = 20;
  std::string paper_tables_dir;
  std::string title = "harness report";
  size_t max_samples = 50;
};

int RunReport(const ReportArgs& args) {
  if (args.trend_runs < 1) throw util::InputError(util::Location{"", 0, "--trend-runs"}, "must be >= 1");
  std::vector<reports::LoadedRun> runs;
  for (const auto& path : args.inputs) runs.push_back(reports::LoadRun(path));
  reports::ReportOptions options;
  options.title = args.title;
  options.max_samples_per_row = args.max_samples;
  if (!args.paper_tables_dir.empty()) options.paper_tables = reports::LoadPaperTablesDir(args.paper_tables_dir);
  if (!args.history.empty()) {
    for (const auto& run : runs) {
      const std::string id = reports::AppendRun(args.history, run.document, run.results_path);
      std::cerr << "history: " << run.results_path << " recorded as run " << id << " in " << args.history << "\n";
    }
    options.trends = reports::LoadTrend(args.history, args.trend_runs);
    options.history_path = args.history;
  }
  util::WriteFileAtomic(args.out, reports::RenderHtmlReport(runs, options));
  std::cout << "wrote " << args.out << "\n";
  return kOk;
}

void RegisterReport(CLI::App& app, Action* selected) {
  auto args = std::make_shared<ReportArgs>();
  auto* cmd = app.add_subcommand("report", "Build a self-contained HTML report from one or more results.json files");
  cmd->add_option("RESULTS", args->inputs, "results.json files (samples.jsonl beside each is used when present)")
      ->required();
  cmd->add_option("--out", args->out, "Output HTML file")->required();
  cmd->add_option("--history", args->history,
                  "SQLite run-history database: append these runs, and show each metric's trend");
  cmd->add_option("--trend-runs", args->trend_runs, "How many recent runs the trends show")->capture_default_str();
  cmd->add_option("--paper-tables", args->paper_tables_dir,
                  "Read paper tables from this folder instead of the ones built in (reports/paper_tables)");
  cmd->add_option("--title", args->title, "Page title")->capture_default_str();
  cmd->add_option("--max-samples", args->max_samples, "Samples shown per (task, method, model, seed)")
      ->capture_default_str();
  cmd->callback([selected, args] { *selected = [args] { return RunReport(*args); }; });
}

}  // namespace

void RegisterReportCommands(CLI::App& app, Action* selected) {
  RegisterReport(app, selected);
  RegisterCompare(app, selected);
}

}  // namespace cli
