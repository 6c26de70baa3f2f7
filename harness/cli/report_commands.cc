// `harness compare` (run-vs-run significance tests, the nightly CI gate) and `harness report`
// (self-contained HTML report from one or more results.json files).
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "harness/cli/command.h"
#include "harness/util/files.h"
#include "reports/compare.h"

namespace cli {

namespace {

struct CompareArgs {
  std::string base;
  std::string candidate;
  double alpha = 0.05;
  double max_drop = 0.0;
  bool json = false;
  std::string html_out;
};

int RunCompare(const CompareArgs& args) {
  reports::CompareOptions options;
  options.alpha = args.alpha;
  options.max_drop = args.max_drop;
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
  cmd->add_option("--html", args->html_out, "Also write an HTML diff listing the flipped samples");
  cmd->callback([selected, args] { *selected = [args] { return RunCompare(*args); }; });
}

}  // namespace

void RegisterReportCommands(CLI::App& app, Action* selected) { RegisterCompare(app, selected); }

}  // namespace cli
