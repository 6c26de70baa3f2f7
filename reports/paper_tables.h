// The published numbers of the four method papers (ReFT, START, OpenChat/C-RLFT, WSRL), as data:
// reports/paper_tables/*.json, compiled into the library, one file per paper table. Each number carries
// its source, table, paper version / arXiv id and model scale. The report shows them beside the
// measured figures and checks whether the paper's *orderings* (e.g. ReFT > SFT on GSM8K) hold here.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace reports {

struct PaperEntry {
  std::string base_model;      // "Galactica", "CodeLLAMA", "llama-2-13b"
  std::string scale;           // "6.7B"
  std::string method;          // as the paper names it: "ReFT", "Offline-ST"
  std::string harness_method;  // "reft"; empty when the harness has no such method
  std::string task;            // as the paper names it: "GSM8K", "MathQA-MCQ"
  std::string harness_task;    // "gsm8k"; empty when the harness has no such task
  std::string setting;         // "N-CoT", "P-CoT, Voting@100", ...
  std::string harness_metric;  // "accuracy", or a prefix such as "maj@" (matches maj@k for any k)
  std::string metric;          // the paper's metric in words
  double value = 0.0;          // as printed, in percent
  std::string table, paper_version, arxiv, source;
};

// A qualitative claim (no numbers), e.g. WSRL's "WSRL ≫ CalQL > CQL ≈ IQL".
struct PaperOrdering {
  std::string statement;
  std::string better, worse;  // harness method names
  std::string task;           // harness task, empty = any task
  std::string caveat;
  std::string table, paper_version, arxiv, source;
};

struct PaperTable {
  std::string file;           // JSON file name
  std::string id, paper, arxiv, paper_version, table, metric, harness_metric, scale, source, notes;
  std::vector<PaperEntry> entries;
  std::vector<PaperOrdering> orderings;
};

struct EmbeddedFile {
  const char* name;
  const char* contents;
};
// Defined in the build tree from reports/paper_tables/*.json (see reports/CMakeLists.txt).
const std::vector<EmbeddedFile>& EmbeddedPaperTableFiles();

// Parses one table file. Throws util::InputError naming the file and field on missing or mistyped
// fields; every entry must end up with value, method, task, scale, table, paper_version, arxiv and
// source (entry fields fall back to the file-level ones).
PaperTable ParsePaperTable(const nlohmann::json& doc, const std::string& file);

// The tables compiled into the binary.
std::vector<PaperTable> BuiltinPaperTables();
// Every *.json file in `dir`, sorted by name (for trying edited tables without rebuilding).
std::vector<PaperTable> LoadPaperTablesDir(const std::string& dir);

// Measured value of one (harness task, harness method): mean over rows (seeds, variants, models).
struct MeasuredCell {
  double value = 0.0;       // fraction in [0,1]
  int rows = 0;
  std::string metric;       // the metric actually used, e.g. "maj@8"
  std::vector<std::string> models;
};
// Key: (task, method, metric prefix or name) → cell. Built by the report from results rows.
using MeasuredTable = std::map<std::tuple<std::string, std::string, std::string>, MeasuredCell>;

// kNotSignificant: both methods ran on the same problems and a paired test finds no difference at
// p < 0.05 (agrees / disagrees then need p < 0.05; without per-problem data they compare means).
enum class OrderingStatus { kAgrees, kDisagrees, kTied, kNotRun, kNotSignificant };
// "agrees", "disagrees", "tie here", "not run here", "not significant"
const char* OrderingStatusName(OrderingStatus s);

struct OrderingCheck {
  std::string paper, table, paper_version, arxiv, source;
  std::string task;             // harness task ("" = any)
  std::string better, worse;    // harness methods, in the paper's order
  std::string paper_evidence;   // "Galactica-6.7B N-CoT 46.8 vs 41.0; …" or the qualitative statement
  int paper_settings = 0;       // settings where the paper has both numbers
  int paper_agreeing = 0;       // … and `better` is ahead
  std::optional<MeasuredCell> here_better, here_worse;
  OrderingStatus status = OrderingStatus::kNotRun;
  std::string caveat;
  // The paired test, when both methods have per-problem outcomes on the same (seed, variant, problem):
  long pairs = 0;               // problems both were scored on
  long better_only = 0;         // right under `better` only
  long worse_only = 0;          // right under `worse` only
  std::optional<double> p_value;  // McNemar's exact test
};

// Greedy per-problem correctness: (task, method) → (seed, variant, problem id) → correct.
using PairedOutcomes =
    std::map<std::pair<std::string, std::string>, std::map<std::tuple<long long, std::string, std::string>, bool>>;

// For every paper table and every pair of harness methods that the paper compares on one harness task,
// the paper's direction (majority over its settings) and whether the measured values agree.
// With `outcomes`, an ordering on one task is judged by McNemar's exact test over the problems both
// methods were scored on (all seeds pooled): agrees / disagrees at p < 0.05, else not significant.
std::vector<OrderingCheck> CheckOrderings(const std::vector<PaperTable>& tables, const MeasuredTable& measured,
                                          const PairedOutcomes& outcomes = {});

}  // namespace reports
