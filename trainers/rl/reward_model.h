// Outcome reward model for reranking (ReFT §4.3 "Reranking@100"): a classifier that reads a question with
// one sampled solution and gives P(correct). ReFT's is AutoModelForSequenceClassification(num_labels=2) from
// the best SFT checkpoint, trained 3 epochs on the warm-up's deduplicated samples labelled by correctness.
// Here: the SFT checkpoint's trunk plus the value head as a one-logit classifier read at the solution's last
// token (EOS), trained with binary cross-entropy. Evaluation fills each sample's score with it, and
// rerank@k picks the highest-scoring candidate among those with an extracted answer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "trainers/sft/sft_config.h"

namespace trainers::rl {

struct RewardModelOptions {
  std::vector<std::string> tasks;  // families whose training questions are sampled
  int questions = 0;               // the first N training questions (0 = all)
  int k = 4;                       // samples per question from the sampling checkpoint
  double temperature = 1.0;
  int max_new_tokens = 160;
};

// Samples from settings.init_checkpoint, labels, and trains the classifier (settings: lr, max_steps,
// batch_size, seed...) into out_dir (resumable). Returns {checkpoint_dir, summary}.
struct RewardModelResult {
  std::string checkpoint_dir;
  nlohmann::json summary;
};
RewardModelResult TrainRewardModel(const SftConfig& settings, const RewardModelOptions& options,
                                   const std::string& out_dir);

// P(correct) of each completion of each prompt, from a checkpoint TrainRewardModel wrote.
class RewardModelScorer {
 public:
  RewardModelScorer(const std::string& checkpoint, int threads);
  ~RewardModelScorer();
  std::vector<std::vector<double>> Score(const std::vector<std::string>& prompts,
                                         const std::vector<std::vector<std::string>>& completions) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace trainers::rl
