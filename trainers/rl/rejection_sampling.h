// Rejection-sampling fine-tuning's data: k samples per training question from a checkpoint, the correct ones
// kept (deduplicated, at most `keep` per question) and added to the gold texts. ReFT's Offline-ST
// (§4.2: 100 samples at T=1, <= 10 unique correct per question, added to the original data) and START's
// Hint-RFT use it; the texts then go through the SFT trainer (TrainOnTexts).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trainers/sft/sft_config.h"
#include "trainers/rl/rollout.h"
#include "trainers/sft/sft_data.h"

namespace trainers::rl {

struct RejectionSamplingOptions {
  std::vector<std::string> tasks;  // families sampled (as ReftTasks chose them)
  int questions = 0;               // the first N training questions (0 = all)
  int k = 4;                       // samples per question
  int keep = 2;                    // unique correct samples kept per question
  double temperature = 1.0;
  double top_p = 1.0;
  int max_new_tokens = 160;
  uint64_t seed = 1;
  bool include_gold = true;        // Offline-ST adds the gold texts; START's RFT trains on samples alone
  int repetition_ngram = 0;        // > 0: drop samples in which some run of this many words repeats
  int max_repeats = 3;             //      more than max_repeats times (START's repetition filter)
  RolloutGenerator generate;       // empty = plain sampling; START samples with its tool protocol
  scoring::CodeGrader code_grader; // required when a task is code (the sandbox runs the problem's tests)
};

// Whether some run of `ngram` consecutive whitespace-separated words occurs more than `max_repeats` times
// (a looping sample; START §3.1 filters "repetitive patterns").
bool HasRepeatedNgram(const std::string& text, int ngram, int max_repeats);

// Gold texts of the chosen tasks first (source "<task>"), then the kept samples (source "<task>:sampled").
// *stats gets {questions, samples, correct, kept, yield}.
std::vector<TextExample> RejectionSampledTexts(const SftConfig& settings, const std::string& checkpoint,
                                               const RejectionSamplingOptions& options,
                                               const std::string& data_dir, nlohmann::json* stats);

}  // namespace trainers::rl
