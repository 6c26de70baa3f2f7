// `harness run`: one experiment (methods × tasks × seeds) from a validated config into an output directory.
// Every step (training, base initialisation, each evaluation) is keyed by a hash of its inputs and leaves
// its outputs under that key, written atomically; rerunning into the same directory skips finished steps
// and resumes an interrupted training from its last saved state.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/scoring/scoring.h"
#include "trainers/runner/experiment_config.h"

namespace trainers {

// Builds the sandbox grader for code tasks; also reports the isolation layers for the environment record.
using CodeGraderFactory = std::function<scoring::CodeGrader(double timeout_seconds, nlohmann::json* layers)>;

struct ExperimentOutcome {
  std::string results_path;   // <out>/results.json
  std::string report_path;    // <out>/report.html
  int steps_run = 0;
  int steps_skipped = 0;
  double wall_seconds = 0;
};

ExperimentOutcome RunExperiment(const ExperimentConfig& config, const std::string& out_dir,
                                const CodeGraderFactory& code_grader, const std::string& history_db = "");

}  // namespace trainers
