// The experiment config for `harness run`: methods × tasks × seeds, the training scaffold's settings,
// each method's own options section, and evaluation settings. Every field is declared once
// (util::Fields); the whole config is validated (unknown keys, types, impossible values, the methods'
// own options) before any work starts.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/util/config_fields.h"
#include "trainers/sft/sft_config.h"

namespace trainers {

class Method;

struct ExperimentTask {
  std::string task;
  int train_n = 0;            // synthetic training problems (0 = not trained on)
  int test_n = 0;             // synthetic test problems (ignored when test_file is given)
  std::string test_file;      // evaluate on this file instead (e.g. ../shared/data/gsm8k/test.jsonl)
  int test_limit = 0;         // evaluate only the first N records of the test set (0 = all)
  int steps = 0;              // synthetic difficulty (0 = task default)
  int max_value = 0;          // synthetic number scale (0 = task default)
  std::string template_name;  // prompt template for training and evaluation ("" = task default)
  std::string style = "ncot";  // generator solution style trained on (livecodebench: its reference program)
  double tool_share = 0;       // share of training problems with START's tool solution (livecodebench: none)
  double lookup_share = 0;     // multiple choice: share of training problems that are option-lookup drills
};

struct ExperimentEval {
  bool greedy = true;         // one greedy sample per problem → accuracy
  int k = 4;                  // sampled completions per problem → maj@k, pass@k, avg@k (0 = skip)
  std::vector<std::string> sampled_methods;  // methods that get the k samples ([] = every method)
  std::vector<std::string> sampled_tasks;    // tasks that get them ([] = every task)
  std::string reranker;       // a method of the run whose checkpoint scores the k samples (rerank@k); "" = none
  double temperature = 0.7;
  double top_p = 0.95;
  int max_new_tokens = 160;
  double sandbox_timeout = 2.0;  // per LiveCodeBench test, CPU seconds
};

// Held-out difficulty: each listed method's final model, greedy, on synthetic test splits over a grid of
// (steps, max_value), so a report shows where it stops generalising beyond what it trained on.
struct ExperimentDifficulty {
  std::vector<std::string> tasks;    // families to grid (each must be one of the run's tasks); [] = off
  std::vector<std::string> methods;  // methods to grid ([] = every method the run evaluates)
  std::vector<int> steps;            // reasoning steps per problem (rows)
  std::vector<int> max_values;       // number scales (columns)
  int n = 100;                       // problems per cell
};

struct ExperimentConfig {
  std::string name = "default";
  std::vector<uint64_t> seeds = {1};
  int threads = 0;                                   // torch intra-op threads; 0 = cores
  std::vector<std::string> methods;                  // required: names from the method registry
  std::vector<ExperimentTask> tasks;
  SftConfig training;                                // scaffold settings (SftSettingsFields)
  ExperimentEval eval;
  ExperimentDifficulty difficulty;
  nlohmann::json method_training = nlohmann::json::object();  // method name -> training fields over `training`
  std::map<std::string, nlohmann::json> sections;    // method options sections, as written
};

const util::Fields<ExperimentTask>& ExperimentTaskFields();
const util::Fields<ExperimentEval>& ExperimentEvalFields();
const util::Fields<ExperimentDifficulty>& ExperimentDifficultyFields();
const util::Fields<ExperimentConfig>& ExperimentConfigFields();

ExperimentConfig ExperimentConfigFromJson(const nlohmann::json& json, const std::string& source);
nlohmann::json ExperimentConfigToJson(const ExperimentConfig& config);

// The training settings one method trains with: the config's training section with that method's
// method_training overrides on top (errors name `source` and method_training.<method>.<field>).
SftConfig MethodTrainingSettings(const ExperimentConfig& config, const SftConfig& settings, const std::string& method,
                                 const std::string& source = "config");

// A method's resolved options in this experiment (its section, defaults filled in, variant fixes on top).
nlohmann::json MethodOptions(const ExperimentConfig& config, const Method& method);

}  // namespace trainers
