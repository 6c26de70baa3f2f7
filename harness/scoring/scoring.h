// Scoring completions against a task's records: alignment of predictions to records, extraction,
// equivalence (or sandbox grading for code), per-sample records and aggregate metrics.
// Used by `harness score` (external generations) and by evaluation of built-in models.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/scoring/predictions.h"
#include "tasks/record.h"
#include "tasks/task.h"

namespace scoring {

// Grades code completions: one (record, code) job per sample, returns per job {"passed": bool,
// "status": str, ...}. Supplied by the caller so this library needs no sandbox at compile time.
using CodeGrader =
    std::function<std::vector<nlohmann::json>(const std::vector<std::pair<const tasks::Record*, std::string>>&)>;

// P-CoT answers (ReFT §3, "program-based chain of thought"): the completion is a Python program and the
// value it prints is the answer. The program runs in the caller's sandbox, one batch per call, in parallel;
// a runner returns one ProgramRun per program, in input order.
struct ProgramRun {
  bool ran = false;        // exited normally within the limits
  std::string output;      // its stdout
  std::string status;      // sandbox::StatusName ("passed", "runtime_error", "timeout_cpu", ...)
};
using ProgramRunner = std::function<std::vector<ProgramRun>(const std::vector<std::string>& programs)>;

// The program of a P-CoT completion: its text up to the first blank line (ReFT's executor stops there;
// the generators' programs have none inside), trailing whitespace removed. "" when the completion is blank.
std::string ProgramOf(const std::string& completion);

// The answer a program run gives: the last non-empty line of its output read with the task's "flexible"
// preset (a bare number or letter), rule "program_output"; invalid (rule "program_<status>") when the program
// failed or printed nothing readable. `raw` holds that last line.
tasks::ExtractedAnswer ProgramAnswer(const tasks::Task& task, const tasks::Record& record, const ProgramRun& run);

// Runs the programs of many completions (one batch through `runner`) and reads each one's answer with its
// (task, record). A completion with no program is not run (rule "program_missing").
using TaskRecord = std::pair<const tasks::Task*, const tasks::Record*>;
std::vector<tasks::ExtractedAnswer> ProgramAnswers(const std::vector<TaskRecord>& owners,
                                                   const std::vector<std::string>& completions,
                                                   const ProgramRunner& runner);

struct ScoreOptions {
  std::string preset;            // "" = the task's default preset
  int k = 0;                     // samples per problem for @k metrics; 0 = the smallest count present
  bool allow_missing = false;    // score only records that have predictions (else missing ones are an error)
  bool include_broken = false;   // score records the dataset itself marks broken (excluded by default)
  std::string code_block = "last";  // LiveCodeBench code extraction: "last" (LCB's rule) or "first"
  CodeGrader code_grader;        // required for kCode tasks
  bool program_answers = false;  // P-CoT: the answer is what the completion's program prints (not for kCode)
  ProgramRunner program_runner;  // required with program_answers
};

struct ScoredSet {
  int n = 0;                                   // problems scored
  int k = 1;
  std::string preset;
  nlohmann::json metrics = nlohmann::json::object();
  std::vector<nlohmann::json> samples;         // one per problem, samples.jsonl layout
  std::vector<std::string> excluded_broken;    // record ids left out because the dataset marks them broken
  std::vector<std::string> missing;            // record ids without predictions (only with allow_missing)
};

// The records `harness prompts` exports and `harness score` scores, chosen in this one place so that
// both commands agree: every record but those the dataset marks broken (all with include_broken).
struct RecordSelection {
  std::vector<const tasks::Record*> kept;     // in data order
  std::vector<std::string> excluded_broken;   // ids of the records left out
};
RecordSelection SelectRecords(const std::vector<tasks::Record>& records, bool include_broken);

// Pairs each prediction with its record (of SelectRecords' choice; lm-eval doc_ids index the whole
// data file). Throws util::InputError (predictions file, line, field "id")
// for ids not in the data and duplicates, and for records without predictions unless allowed.
std::vector<std::pair<const tasks::Record*, const Prediction*>> AlignPredictions(
    const std::vector<tasks::Record>& records, const std::vector<Prediction>& predictions,
    const ScoreOptions& options, ScoredSet* bookkeeping);

// Extracts, checks and aggregates. `prompts` (optional, by record id) are copied into the samples.
ScoredSet Score(const tasks::Task& task, const std::vector<tasks::Record>& records,
                const std::vector<Prediction>& predictions, const ScoreOptions& options,
                const std::function<std::string(const tasks::Record&)>& prompt_of = nullptr);
// The same, moving the completions' texts into the samples instead of copying them (a caller that
// has no further use for the predictions).
ScoredSet Score(const tasks::Task& task, const std::vector<tasks::Record>& records,
                std::vector<Prediction>&& predictions, const ScoreOptions& options,
                const std::function<std::string(const tasks::Record&)>& prompt_of = nullptr);

// Adds "<name>", "<name>_stderr", "<name>_ci95" for one estimate to a metrics object.
void PutMetric(nlohmann::json& metrics, const std::string& name, double value, double stderr_value,
               double ci_low, double ci_high);

}  // namespace scoring
