// The experiment config for `harness run`: methods × tasks × seeds, the model, training and evaluation
// settings. Validated in full (unknown keys, types, impossible values) before any work starts.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace trainers {

struct ExperimentTask {
  std::string task;
  int train_n = 0;            // synthetic training problems (0 = not trained on)
  int test_n = 0;             // synthetic test problems (ignored when test_file is given)
  std::string test_file;      // evaluate on this file instead (e.g. ../shared/data/gsm8k/test.jsonl)
  int test_limit = 0;         // evaluate only the first N records of the test set (0 = all)
  int steps = 0;              // synthetic difficulty (0 = task default)
  int max_value = 0;          // synthetic number scale (0 = task default)
  std::string template_name;  // prompt template for training and evaluation ("" = task default)
};

struct ExperimentEval {
  bool greedy = true;         // one greedy sample per problem → accuracy
  int k = 4;                  // sampled completions per problem → maj@k, pass@k, avg@k (0 = skip)
  double temperature = 0.7;
  double top_p = 0.95;
  int max_new_tokens = 160;
  double sandbox_timeout = 2.0;  // per LiveCodeBench test, CPU seconds
};

struct ExperimentConfig {
  std::string name = "default";
  std::vector<uint64_t> seeds = {1};
  int threads = 0;                                   // torch intra-op threads; 0 = cores
  std::vector<std::string> methods = {"base", "sft"};
  std::vector<ExperimentTask> tasks;
  nlohmann::json sft = nlohmann::json::object();     // SftConfig keys except train/eval/seed/threads
  ExperimentEval eval;
};

// Methods the runner knows, in order; those not yet implemented are rejected at validation with a clear
// message rather than failing mid-run.
const std::vector<std::string>& KnownMethods();
const std::vector<std::string>& ImplementedMethods();

ExperimentConfig ExperimentConfigFromJson(const nlohmann::json& json, const std::string& source);
nlohmann::json ExperimentConfigToJson(const ExperimentConfig& config);

}  // namespace trainers
