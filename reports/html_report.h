// The self-contained HTML report (inline CSS and SVG, no scripts, no network): the method × task table
// with 95% intervals, the paper tables and ordering checks beside it, training curves, metric trends
// from the history database, per-task drill-down to samples, throughput and environment.
// `harness report` and the experiment runner both call RenderHtmlReport.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reports/history.h"
#include "reports/paper_tables.h"
#include "reports/run_data.h"

namespace reports {

struct ReportOptions {
  std::string title = "harness report";
  size_t max_samples_per_row = 50;   // drill-down rows shown per (task, method, model, seed)
  size_t max_text_bytes = 3000;      // prompts and completions are cut to this (UTF-8 safe)
  // Paper tables to show; nullopt = the ones compiled into the binary (reports/paper_tables/*.json).
  std::optional<std::vector<PaperTable>> paper_tables;
  std::vector<Trend> trends;         // from LoadTrend; empty = no trend section
  std::string history_path;          // shown with the trends
};

// Renders one page from loaded runs (results plus samples; runs without samples get no drill-down).
std::string RenderHtmlReport(const std::vector<LoadedRun>& runs, const ReportOptions& options);

// Same from raw documents: results[i] is a results.json document, samples[i] its samples.jsonl
// records (may be empty; samples may be shorter than results). Throws util::InputError on bad input.
std::string RenderHtmlReport(const std::vector<nlohmann::json>& results,
                             const std::vector<std::vector<nlohmann::json>>& samples, const ReportOptions& options);

}  // namespace reports
