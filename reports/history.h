// Run history: an SQLite database that every run appends its metric rows to, so that the report can
// show each metric's trend over the last runs. Safe for concurrent writers (see HISTORY.md).
//
// Schema (user_version 1):
//   runs(seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT UNIQUE, created TEXT, git_commit TEXT,
//        harness_version TEXT, config_hash TEXT, appended_at TEXT)
//   metrics(run_id TEXT REFERENCES runs(run_id), task, variant, method, model TEXT, seed INTEGER,
//           metric TEXT, value REAL, stderr REAL NULL,
//           PRIMARY KEY(run_id, task, variant, method, model, seed, metric))
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace reports {

inline constexpr int kHistorySchemaVersion = 1;

// Identity of a run: the first 16 hex digits of SHA-256 over its canonical (sorted-key) results
// document, so appending the same results.json twice adds nothing.
std::string RunIdOf(const nlohmann::json& results);

// Appends one results document (schema_version 1) to the database at `db_path`, creating it and its
// tables when absent. One IMMEDIATE transaction per call, WAL journal, 30 s busy timeout: concurrent
// writers from several processes queue instead of failing. Returns the run id. Throws
// util::InputError for an unreadable database, a foreign schema, or a malformed results document.
std::string AppendRun(const std::string& db_path, const nlohmann::json& results,
                      const std::string& source = "results.json");

struct TrendPoint {
  std::string run_id;
  std::string created;
  std::string git_commit;
  double value = 0.0;        // mean over the run's seeds
  int seeds = 0;
};

struct Trend {
  std::string task, variant, method, model, metric;
  std::vector<TrendPoint> points;  // oldest first
};

// The last `last_runs` runs (by append order) and, for each (task, variant, method, model, metric)
// seen in them, its value per run. `metric` filters to one metric name when non-empty.
std::vector<Trend> LoadTrend(const std::string& db_path, int last_runs, const std::string& metric = "");

// Number of runs stored.
long CountRuns(const std::string& db_path);

}  // namespace reports
