// Supervised fine-tuning on (prompt, completion) pairs; C-RLFT when sources carry weights and conditions.
// The trainer owns data preparation, the tokenizer, the optimisation loop, logging, checkpoints and exact
// resume; held-out evaluation is a callback so the trainer stays free of generation and scoring code.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "trainers/sft/sft_config.h"
#include "trainers/sft/sft_data.h"

namespace tokenizer {
class Tokenizer;
}

namespace trainers {

class LlamaForCausalLM;

// Metrics to log at this step (see trainers/scaffold/training_run.h HeldOutEval); empty = nothing.
using EvalCallback = std::function<nlohmann::json(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok, int step)>;

// The training texts of every source in config.train (rendered as evaluation renders prompts).
std::vector<TextExample> BuildTrainingTexts(const SftConfig& config, const std::string& data_dir);

// The tokenizer a run trains with: init_checkpoint's own (it must already hold every special token
// asked for, or InputError), else BPE trained on the texts with the default specials plus `special_tokens`
// (byte-level when tokenizer_vocab is 0).
tokenizer::Tokenizer BuildTokenizer(const SftConfig& config, const std::vector<TextExample>& texts,
                                    const std::vector<std::string>& special_tokens);

// The untrained model of a run: the tokenizer above and the preset's architecture, initialised from
// config.seed, saved as an HF-layout checkpoint in `dir` (with tokenizer.json).
void SaveInitialModel(const SftConfig& config, const std::vector<TextExample>& texts,
                      const std::vector<std::string>& special_tokens, const std::string& dir);

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

// The result as the summary a method's Train reports (DONE.json, the profile).
nlohmann::json SummaryJson(const SftRunResult& result);

// Trains into `out_dir`: config.json (the resolved SftConfig), data/ (synthetic files), tokenizer.json,
// checkpoint/ (HF layout), state/ (resume state), metrics.jsonl. Rerunning into the same directory resumes
// from the last saved state. `stop_after_steps` > 0 stops early (tests of interrupted runs).
SftRunResult RunSft(const SftConfig& config, const std::string& out_dir, const EvalCallback& eval = nullptr,
                    int stop_after_steps = 0);

// The same trainer on prepared texts (C-RLFT, rejection-sampling fine-tuning): each text's weight scales
// its tokens' loss; the loss is the weight-normalised token mean over the whole optimizer step.
SftRunResult TrainOnTexts(const SftConfig& config, const std::vector<TextExample>& texts,
                          const std::vector<std::string>& special_tokens, const std::string& out_dir,
                          const EvalCallback& eval = nullptr, int stop_after_steps = 0,
                          const std::string& label = "sft");  // names the run in progress lines

}  // namespace trainers
