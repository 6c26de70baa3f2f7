// Flags and glue for grading code completions with the sandbox (LiveCodeBench), shared by score and eval.
#pragma once

#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "harness/scoring/scoring.h"
#include "tasks/record.h"
#include "tasks/task.h"

namespace cli {

struct CodeGradingFlags {
  std::string code_block = "last";   // LiveCodeBench takes the last fenced block
  int workers = 0;                   // 0 = number of cores
  double timeout_seconds = 6.0;      // per test, CPU and wall (LCB's default timeout)
  int memory_mb = 1024;
  bool no_network_namespace = false;
};

void AddCodeGradingFlags(CLI::App* cmd, CodeGradingFlags* flags);

// A grader running every job in the sandbox's worker pool. Fills `environment` with the active isolation
// layers and their warnings, which go into results.json.
scoring::CodeGrader MakeCodeGrader(const CodeGradingFlags& flags, nlohmann::json* environment);

// `--program-answers` (P-CoT) of score and eval: a runner on the sandbox's fork servers (--workers,
// sandbox::ProgramLimits) whose layers and CPU limit go into `environment`. Throws util::InputError naming
// `data_file` and the flag for a code task, whose programs are graded by their tests instead.
scoring::ProgramRunner MakeProgramAnswerRunner(const CodeGradingFlags& flags, const tasks::Task& task,
                                               tasks::AnswerKind kind, const std::string& data_file,
                                               nlohmann::json* environment);

}  // namespace cli
