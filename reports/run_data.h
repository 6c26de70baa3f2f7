// Reading a run's results.json and the samples.jsonl beside it, for reports, compare and history.
// Readers are tolerant of optional keys (absent → empty) and strict on the keys that the comparison
// and the tables need (task, method, metrics, per-sample id and correctness): those throw
// util::InputError naming file, line and field.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/util/error.h"
#include "reports/results.h"  // kResultsSchemaVersion
#include "reports/study.h"

namespace reports {

// Identifies one results row: (task, variant, method, model, seed).
struct RowKey {
  std::string task;
  std::string variant;
  std::string method;
  std::string model;
  long long seed = 0;

  // "gsm8k[variant]/sft/nano/seed1" — used in messages, tables and the JSON output.
  std::string Label() const;
  // Task with its variant, "gsm8k" or "gsm8k[p-cot]".
  std::string TaskLabel() const;
  bool operator<(const RowKey& o) const {
    return std::tie(task, variant, method, model, seed) <
           std::tie(o.task, o.variant, o.method, o.model, o.seed);
  }
  bool operator==(const RowKey& o) const {
    return std::tie(task, variant, method, model, seed) ==
           std::tie(o.task, o.variant, o.method, o.model, o.seed);
  }
};

// Tool-integrated inference (START): one sandbox run inside a completion, the code between <code> and
// </code> and its output between <output> and </output>.
struct ToolCall {
  std::string code;
  std::string output;
  std::string status;    // sandbox status name: passed, runtime_error, time_limit_cpu, ...
  double seconds = 0;
  long long round = 0;   // hint round the call was made in; 0 = before any hint
};

// A hint inserted into the text by the harness (not written by the model).
struct InsertedHint {
  std::string kind;      // e.g. "calculation"
  std::string text;
  std::string where;     // "stop" (in place of the end-of-sequence token) or "reflection" (after "Wait" etc.)
  long long round = 0;   // 1-based hint round
};

// The tool-integrated record of one completion: the full text with the markers kept, its tool calls in
// order, and the hints inserted into it.
struct Trajectory {
  std::string text;
  std::vector<ToolCall> tool_calls;
  std::vector<InsertedHint> hints;
  long long hint_rounds = 0;
  bool truncated_calls = false;  // the per-completion tool-call budget cut the run short
};

// One line of samples.jsonl: one problem of one row, with every completion drawn for it.
struct SampleRecord {
  RowKey key;
  std::string id;
  std::string prompt;
  std::string gold;
  std::vector<std::string> completions;
  std::vector<std::optional<std::string>> extracted;  // nullopt = extraction failed
  std::vector<std::string> rules;
  std::vector<bool> correct;                           // the first entry is what "accuracy" uses
  std::vector<double> scores;                          // optional reranker scores, one per completion
  std::vector<Trajectory> trajectories;                // optional (START), one per completion, same order
  long line = 0;                                       // 1-based line in samples.jsonl
};

// One results row with its numeric metrics split out; `raw` keeps the whole row.
struct MetricRow {
  RowKey key;
  long long n = 0;                      // 0 when absent
  std::map<std::string, double> values;  // numeric metrics other than *_stderr / *_ci95
  std::map<std::string, double> stderrs; // "<metric>_stderr"
  std::map<std::string, std::pair<double, double>> ci95;  // "<metric>_ci95"
  nlohmann::json raw;
};

// A loaded run: the whole results document, its parsed rows, and (when the file exists) its samples.
struct LoadedRun {
  std::string results_path;
  std::string samples_path;   // empty when no samples.jsonl was found beside results.json
  nlohmann::json document;
  int schema_version = 0;
  std::vector<MetricRow> rows;
  std::vector<SampleRecord> samples;
  std::vector<StudyRecord> studies;  // the document's "studies" (methods that train no text model)

  // Samples of one row, keyed by problem id (empty map when none).
  std::map<std::string, const SampleRecord*> SamplesOf(const RowKey& key) const;
};

// "<dir of results_path>/samples.jsonl".
std::string SamplesPathFor(const std::string& results_path);

// Parses a results document already in memory; `path` is used in error messages only.
// Throws InputError when schema_version is missing or not an integer, `results` is not an array,
// or a row lacks task/method/metrics or has mistyped fields, or a study is malformed (ParseStudies).
LoadedRun ParseResults(const nlohmann::json& document, const std::string& path);

// Parses one samples.jsonl record (see ReadSamples); `where` names file and line. The optional
// "trajectories" array is checked field by field (errors name e.g. "trajectories[0].tool_calls[2].status");
// when both it and "completions" are non-empty they must have the same length.
SampleRecord ParseSample(const nlohmann::json& value, const util::Location& where);

// Parses samples.jsonl. Strict: id, task, method and correct (array of bools) are required; duplicate
// (row, id) pairs are an error naming both lines.
std::vector<SampleRecord> ReadSamples(const std::string& samples_path);

// Reads results.json and, when `with_samples` and it exists, samples.jsonl beside it (not for a run without
// rows, e.g. one whose methods only report studies: the runner leaves its samples.jsonl empty).
LoadedRun LoadRun(const std::string& results_path, bool with_samples = true);

}  // namespace reports
