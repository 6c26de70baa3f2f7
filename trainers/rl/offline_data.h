// Offline trajectories on text: (prompt, completion, reward) written by an offline pre-training (WSRL's
// mixed-quality data, trainers/wsrl/text/) and read back by an online trainer, which may mix them into its
// updates (retention) or only measure its value head on them (WSRL's Q diagnostic: the value predicted on
// held-out offline trajectories against the one on its own rollouts).
#pragma once

#include <string>
#include <vector>

#include "trainers/model/llama.h"
#include "trainers/rl/rollout.h"

namespace tokenizer {
class Tokenizer;
}

namespace trainers::rl {

struct OfflineTrajectory {
  std::string task;
  std::string id;          // the record's id
  std::string prompt;      // rendered as evaluation renders it
  std::string completion;  // the behaviour policy's text (a generator solution)
  std::string source;      // expert | suboptimal
  double reward = 0;       // the answer reward (1 / partial / 0): with gamma 1, also the Monte-Carlo return
  bool correct = false;
  double weight = 1;       // its weight in the offline policy loss (retention uses the same)
};

// One JSON object per line, written atomically.
void WriteTrajectories(const std::string& path, const std::vector<OfflineTrajectory>& trajectories);
// util::InputError naming the file and line for a missing file or a row without prompt/completion/reward
// (weight: 1 when absent).
std::vector<OfflineTrajectory> ReadTrajectories(const std::string& path);

// Each trajectory as a sample whose every response token (completion + EOS) counts (TextSample).
std::vector<Sample> TrajectorySamples(const tokenizer::Tokenizer& tok, const std::vector<OfflineTrajectory>& trajectories);

// The value head's predictions over a set of samples (no gradients, `chunk` rows per forward): the mean
// V over every action token, and the mean (V - R)^2 against each row's return R.
struct ValueStats {
  double mean_value = 0;
  double mse = 0;
  double mean_return = 0;  // mean of R over rows
};
// The weight-normalised token mean of the NLL (as the SFT trainer's loss): sum_b w_b sum_j -logp_bj m_bj /
// sum_b w_b sum_j m_bj over a batch; 0 when every weight is 0. logp, mask [B, L]; weights [B].
at::Tensor WeightedNll(const at::Tensor& logp, const at::Tensor& mask, const at::Tensor& weights);

ValueStats MeasureValues(LlamaForCausalLM& model, const std::vector<Sample>& samples, const std::vector<double>& returns,
                         int pad_id, int chunk = 32);

}  // namespace trainers::rl
