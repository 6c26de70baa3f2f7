// The training scaffold every trainer runs on (SFT, C-RLFT, rejection-sampling fine-tuning, the RL
// trainers): resumable state swapped in atomically, the learning-rate schedule, the metrics log, the
// step and time budget, periodic held-out evaluation, seeded data order, and the one gradient step
// (GradientStep) that data-parallel training will wrap.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trainers/model/fused_adamw.h"
#include "trainers/model/llama.h"
#include "trainers/sft/sft_config.h"

namespace tokenizer {
class Tokenizer;
}

namespace trainers {

// Linear warm-up to lr over warmup_steps, then cosine decay to lr * min_lr_ratio at max_steps.
double CosineLearningRate(double lr, double min_lr_ratio, int warmup_steps, int max_steps, int step);

// AdamW with weight decay on matrices only (norm gains and biases are not decayed).
FusedAdamW MakeAdamW(LlamaForCausalLM& model, double lr, double beta1, double beta2, double weight_decay);
void SetLearningRate(torch::optim::AdamW& optimizer, double lr);

// Batches of one epoch over examples of the given lengths: a seeded shuffle, length bucketing inside
// windows of 32 batches (similar lengths share a batch, so padding stays small), then the batch order
// shuffled again. A pure function of (lengths, seed, epoch, tag), which is what makes resume exact.
std::vector<std::vector<int>> SeededEpochBatches(const std::vector<int>& lengths, int batch_size, uint64_t seed,
                                                 int epoch, const std::string& tag);

// One optimizer step: clears gradients, runs `micro_batches` forward/backward passes (each returns its
// loss, already normalised for the whole step), clips the global gradient norm (0 = off) and steps.
// Returns {summed loss, gradient norm before clipping (0 when not clipped)}.
struct StepResult {
  double loss = 0;
  double grad_norm = 0;
};
StepResult GradientStep(LlamaForCausalLM& model, FusedAdamW& optimizer, int micro_batches,
                        const std::function<double(int micro)>& forward_backward, double grad_clip);

// Data parallelism (trainers/distributed/world.h): GradientStep sums every rank's gradients (and its
// returned loss) before clipping, overlapped with the last micro-batch's backward
// (trainers/distributed/grad_reducer.h), so each forward_backward normalises by the whole global batch
// and every rank steps identically.

// Held-out evaluation during training: the metrics to log at this step ({"eval_accuracy": mean, and
// per task "eval_accuracy:<task>"}); an empty object logs nothing.
using HeldOutEval = std::function<nlohmann::json(LlamaForCausalLM& model, const tokenizer::Tokenizer& tok, int step)>;

struct RunOptions {
  std::string out_dir;         // holds checkpoint/, state/ (resume), metrics.jsonl
  std::string name = "train";  // progress lines: "<name> step 10/100 ..."
  int max_steps = 1;
  double max_minutes = 0;      // 0 = no time budget
  int log_every = 10;
  int save_every = 0;          // 0 = only at the end
  int eval_every = 0;          // 0 = only at the end
  int stop_after_steps = 0;    // > 0: save and stop after this many steps of this process (tests)
};

// The run options of a trainer's settings (steps, time budget, log/save/eval cadence), one place for all.
RunOptions RunOptionsFor(const SftConfig& settings, const std::string& out_dir, const std::string& name,
                         int stop_after_steps);

// The loop's bookkeeping around a trainer's own step:
//   TrainingRun run(options, model, optimizer, tok);
//   nlohmann::json position = run.Resume();            // {} on a fresh start
//   while (!run.Done()) { ... one step ...; run.EndStep(row, position_after_step, tokens); }
//   run.Finish(position);
class TrainingRun {
 public:
  TrainingRun(RunOptions options, LlamaForCausalLM& model, FusedAdamW& optimizer, const tokenizer::Tokenizer& tok,
              HeldOutEval eval = nullptr);

  // Loads the last complete saved state (weights, optimizer, step) when there is one and returns the
  // data position saved with it; on a fresh start removes a stale metrics log and returns {}.
  nlohmann::json Resume();
  // A second model trained beside the main one (ReFT's separate value model): its weights and optimizer are
  // saved with the main state (under `name` in the state directory) and restored by Resume. Call before Resume.
  void AddCompanion(const std::string& name, LlamaForCausalLM& model, FusedAdamW& optimizer);
  int step() const { return step_; }
  bool resumed() const { return resumed_; }
  // True once the step budget, the time budget or stop_after_steps is reached.
  bool Done() const { return done_; }

  // After one optimizer step: counts it, logs `metrics` (plus step, tokens/s, elapsed) every log_every
  // steps, evaluates every eval_every steps, saves every save_every steps, checks the budgets.
  void EndStep(nlohmann::json metrics, const nlohmann::json& data_position, long long tokens);
  // The final save (checkpoint + state) and the final held-out evaluation.
  void Finish(const nlohmann::json& data_position);

  double train_seconds() const;
  long long tokens_seen() const { return tokens_seen_; }
  bool stopped_early() const { return stopped_early_; }  // stop_after_steps reached
  std::string checkpoint_dir() const { return options_.out_dir + "/checkpoint"; }

 private:
  void Save(const nlohmann::json& data_position);
  void Evaluate();
  void AppendMetrics(const nlohmann::json& row) const;

  struct Companion {
    std::string name;
    LlamaForCausalLM* model;
    FusedAdamW* optimizer;
  };
  RunOptions options_;
  std::vector<Companion> companions_;
  LlamaForCausalLM& model_;
  FusedAdamW& optimizer_;
  const tokenizer::Tokenizer& tok_;
  HeldOutEval eval_;
  int step_ = 0;
  int first_step_ = 0;
  bool resumed_ = false;
  bool done_ = false;
  bool stopped_early_ = false;
  bool tty_ = false;
  long long tokens_seen_ = 0;
  long long window_tokens_ = 0;
  std::chrono::steady_clock::time_point start_, window_start_;
};

}  // namespace trainers
