// Studies: what a method that trains no text model reports instead of results rows (e.g. a control study
// on a toy environment). Its Train returns summary["study"]; the runner tags it with the method and seed
// and collects it into results.json "studies"; the report groups the studies by name into one section each,
// with one curve per arm (mean over seeds, Student-t 95% band) and a table of the arms' scalars.
//
// One study (one method, one seed):
//   {"name": "...", "title": "...", "arm": "...", "method": "...", "seed": 1, "x_label": "...",
//    "switch_x": 0,                                          // optional: dashed vertical marker
//    "curves": {"<key>": {"label": "...", "x": [...], "y": [...]}},   // y may hold null (no value)
//    "scalars": {"<key>": 0.8}, "scalar_labels": {"<key>": "..."},      // labels optional
//    "notes": "..."}                                         // optional
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/util/error.h"
#include "reports/stats.h"

namespace reports {

struct StudyCurve {
  std::string label;            // the key when absent
  std::vector<double> x, y;     // same length; a null y is NaN
};

struct StudyRecord {
  std::string name;
  std::string title;            // the name when absent
  std::string arm;              // the method when absent
  std::string method;
  long long seed = 0;
  std::string x_label;
  std::optional<double> switch_x;
  std::vector<std::pair<std::string, StudyCurve>> curves;   // by key (the JSON object's order)
  std::vector<std::pair<std::string, double>> scalars;      // by key
  std::map<std::string, std::string> scalar_labels;
  std::string notes;
};

// The entry for results.json "studies" from a training summary: summary["study"] with "method" and "seed"
// set; null when the summary has no "study". The entry is checked (ParseStudy); errors name `where.file`
// and "study.<field>".
nlohmann::json StudyEntry(const nlohmann::json& summary, const std::string& method, uint64_t seed,
                          const std::string& where = "");

// Parses one study; `path` prefixes the field in errors ("studies[2]" → "studies[2].curves.success.y").
// Strict: name (string), curves (object of {x, y} number arrays of equal length) and the scalars (numbers)
// are checked; every other field is optional.
StudyRecord ParseStudy(const nlohmann::json& value, const std::string& file, const std::string& path);

// The document's "studies" (absent or null → none).
std::vector<StudyRecord> ParseStudies(const nlohmann::json& document, const std::string& file);

// One x of an arm's curve: the mean over the seeds that have a finite y there, with the t interval
// [lo, hi] (NaN when fewer than two seeds).
struct StudyCurvePoint {
  double x = 0;
  double mean = 0;
  double lo = 0;
  double hi = 0;
  int n = 0;
};

struct StudyArm {
  std::string arm;
  std::vector<std::string> methods;                    // first-appearance order
  std::vector<long long> seeds;                        // one per study record, in order
  std::map<std::string, std::vector<StudyCurvePoint>> curves;  // by curve key, x ascending
  std::map<std::string, stats::MeanInterval> scalars;  // by scalar key
  std::vector<std::string> notes;                      // distinct, in order
};

// All arms of one study name.
struct StudyGroup {
  std::string name;
  std::string title;                                   // the first record's
  std::string x_label;                                 // the first non-empty
  std::optional<double> switch_x;                      // the first given
  std::vector<std::string> curve_keys;                 // first-appearance order
  std::map<std::string, std::string> curve_labels;
  std::vector<std::string> scalar_keys;                // first-appearance order
  std::map<std::string, std::string> scalar_labels;
  std::vector<StudyArm> arms;                          // first-appearance order
};

// The mean and t interval over records at every x any of them has (x ascending; points match on equal x).
std::vector<StudyCurvePoint> AggregateCurve(const std::vector<const StudyCurve*>& curves);

// Groups studies by name (first-appearance order) and arms within each (first-appearance order), and
// aggregates each arm's curves and scalars over its records (seeds).
std::vector<StudyGroup> GroupStudies(const std::vector<StudyRecord>& records);

}  // namespace reports
