// START's training (arXiv 2503.04625 v1 §3; method_anchors.md §3.1), on the shared RL pieces:
//   Hint-RFT  greedy and Hint-infer on the training problems; keep the hinted trajectory where it is right
//             and greedy is wrong; drop repetitive ones; normalise the hint text; fine-tune -> START-0.
//   RFT       START-0 samples k per problem (T=0.6, top-p 0.95) with the tool; keep the correct ones,
//             deduplicated; fine-tune -> START. The control runs the same RFT without the tool.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/scoring/scoring.h"
#include "harness/util/config_fields.h"
#include "trainers/sft/sft_config.h"
#include "trainers/sft/sft_data.h"
#include "trainers/start/hint_infer.h"

namespace trainers::start {

struct StartOptions {
  std::vector<std::string> tasks;  // families whose training problems are used (empty = every task but code)
  int questions = 2000;            // training problems per stage (the first N)
  int rounds = 1;                  // Hint-RFT: hint rounds of the hinted run
  int samples = 16;                // RFT: samples per problem (START: 16)
  double temperature = 0.6;        // RFT sampling (START: T=0.6, top-p 0.95)
  double top_p = 0.95;
  int keep = 4;                    // RFT: unique correct samples kept per problem
  int repetition_ngram = 4;        // repetition filter: drop a text where some 4 words repeat
  int max_repeats = 3;             //   more than 3 times
  int max_new_tokens = 0;          // 0 = training.eval_max_new_tokens
  int eval_rounds = 0;             // hint rounds when the trained model is evaluated (START: 0)
};
const util::Fields<StartOptions>& StartOptionsFields();

// The families a START stage works on: `chosen`, or every task of the training sources but code.
std::vector<std::string> StartTasks(const SftConfig& settings, const std::vector<std::string>& chosen);

// Code problems (livecodebench) are graded by `code_grader` (the sandbox on the problem's tests; required when
// a chosen task is code) and hinted with the debug hint.
// Phase 1's seed data (D_seed) from `checkpoint`; *stats gets the counts (questions, greedy and hinted
// accuracy, kept, repetitive, tool calls).
std::vector<TextExample> HintRftTexts(const SftConfig& settings, const std::string& checkpoint,
                                      const StartOptions& options, const std::string& data_dir,
                                      const scoring::CodeGrader& code_grader, nlohmann::json* stats);

// Phase 2's data (D_START) from `checkpoint`: sampled with the tool protocol when `tools`, else plainly.
std::vector<TextExample> RftTexts(const SftConfig& settings, const std::string& checkpoint,
                                  const StartOptions& options, bool tools, const std::string& data_dir,
                                  const scoring::CodeGrader& code_grader, nlohmann::json* stats);

}  // namespace trainers::start
