// Supervised fine-tuning on (prompt, completion) pairs; C-RLFT when sources carry weights and conditions.
// The trainer owns data preparation, the tokenizer, the optimisation loop, logging, checkpoints and exact
// resume; held-out evaluation is a callback so the trainer stays free of generation and scoring code.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "trainers/sft/sft_config.h"

namespace tokenizer {
class Tokenizer;
}

namespace trainers {

class LlamaForCausalLM;

// Returns accuracy on the held-out split(s) for the current weights, or a negative value when skipped.
using EvalCallback = std::function<double(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok, int step)>;

struct SftRunResult {
  int steps = 0;
  double final_loss = 0;
  double train_seconds = 0;
  double tokens_per_second = 0;     // training tokens (all positions) per second
  long long tokens_seen = 0;
  bool resumed = false;
  int examples = 0;
  int dropped_too_long = 0;
  std::string checkpoint_dir;       // <out>/checkpoint: HF layout
};

// Trains into `out_dir`: config.json (the resolved SftConfig), data/ (synthetic files), tokenizer.json,
// checkpoint/ (HF layout), state/ (resume state), metrics.jsonl. Rerunning into the same directory resumes
// from the last saved state. `stop_after_steps` > 0 stops early (tests of interrupted runs).
SftRunResult RunSft(const SftConfig& config, const std::string& out_dir, const EvalCallback& eval = nullptr,
                    int stop_after_steps = 0);

}  // namespace trainers
