// ReFT: Reasoning with Reinforced Fine-Tuning (Luong et al., ACL 2024, arXiv:2401.08967). After a warm-up
// SFT, the policy keeps learning from chains of thought it samples itself, rewarded only by whether their
// final answer is right (1), extractable but wrong (0.1), or absent (0); PPO with a value head on the
// shared trunk and a KL penalty against the frozen warm-up model keeps it close to what it knew.
// The same loop runs the paper's on-policy baseline and one more algorithm on the same rollouts:
//   ppo        ReFT (§3.1: KL in the reward, GAE gamma 1 lambda 0.95, whitened advantages, clipped losses)
//   grpo       group-normalised advantages over `samples` responses per question, no critic, KL in the loss
//   online-st  Online self-training (§4.2): each step 1/2 CE on the correct samples + 1/2 CE on the gold chain
// Offline self-training is rejection sampling (trainers/rl/rejection_sampling.h) + the SFT trainer.
// WSRL on text (trainers/wsrl/text/) runs this loop too: a critic-only warm-up, a value head from its offline
// checkpoint or a fresh one, offline trajectories (rl/offline_data.h) mixed into policy updates (retention) or
// only measured (the value on a held-out offline probe vs on the rollouts, logged each step).
// Facts, hyperparameters and tables: ../shared/research/method_anchors.md §2 and §5.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/util/config_fields.h"
#include "trainers/sft/sft_config.h"
#include "trainers/sft/sft_trainer.h"

namespace trainers {

struct ReftOptions {
  // > Which loop
  std::string algorithm = "ppo";   // ppo | grpo | online-st
  std::vector<std::string> tasks;  // families trained on (empty = every task of the run but code)
  // > Rollouts (ReFT: 1 sample per question, T = 1, no top-k / top-p)
  int samples = 1;                 // responses per question (grpo: the group size, >= 2)
  double temperature = 1.0;
  int max_new_tokens = 0;          // 0 = the training settings' eval_max_new_tokens
  // > Reward (ReFT §3.1)
  double partial_reward = 0.1;     // extractable but wrong; 0 = the "no partial reward" ablation
  bool partial_on_choice = false;  // also give it on multiple choice (ReFT's code does; the paper says not)
  // > KL against the frozen warm-up model
  double beta = 0.05;              // ReFT: 0.05 N-CoT, 0.01 P-CoT; 0 = the collapse ablation
  std::string kl_placement = "reward";  // reward (PPO, ReFT) | loss (GRPO)
  std::string kl_estimator = "k1";      // k1 | k2 | k3
  double kl_target = 0;            // > 0: adaptive beta (Ziegler et al.) towards this KL per sequence
  double kl_horizon = 10000;
  // > PPO
  int ppo_epochs = 2;              // optimizer steps per rollout (ReFT: minibatch = batch, 2 epochs)
  double gamma = 1.0;              // ReFT's code (the paper text swaps the names)
  double lambda = 0.95;
  double clip = 0.2;
  double value_clip = 0.2;
  double vf_coef = 5.0;
  std::string loss_aggregation = "seq-mean-token-mean";  // | token-mean
  int critic_warmup_steps = 0;     // steps that update the value head only
  std::string value_head_from;     // checkpoint whose value head to start from ("" = fresh, as ReFT)
  bool fresh_value_head = false;   // a fresh head even when the starting checkpoint has one
  // shared: the value head on the policy's trunk (ReFT); separate: a second model from the warm-up with its own
  // head and optimizer, trained on the value loss alone (ReFT Table 6's non-shared value model; 2x the compute)
  std::string value_model = "shared";
  bool whiten_advantages = true;
  // > Speed (the same updates either way, up to float rounding)
  // the batch is scored and updated in length-sorted chunks, each padded to its longest row, cut where padding
  // plus this many token positions per chunk (a forward's fixed cost) is least; -1 = one chunk
  int chunk_forward_cost = 64;
  bool reuse_first_pass = true;    // the first update's forward gives the old log-probs and values (policy unmoved);
                                   // it holds every chunk's activations until that update
  // > GRPO
  bool grpo_scale_by_std = true;   // false: Dr. GRPO (r - mean)
  // > Offline trajectories (rl/offline_data.h; WSRL on text sets these from its offline checkpoint)
  std::string offline_data;        // trajectories mixed into policy updates when offline_sft_coef > 0
  double offline_sft_coef = 0;     // retention: + coef * weighted NLL of batch_size offline texts per update
  std::string offline_probe;       // held-out trajectories whose mean value is logged each step ("" = none)
};

const util::Fields<ReftOptions>& ReftOptionsFields();

// The families trained on: `wanted` (each must be one of the settings' sources), or every non-code source.
std::vector<std::string> ReftTasks(const SftConfig& settings, const std::vector<std::string>& wanted);

// Trains from settings.init_checkpoint (the warm-up) into out_dir; settings give lr, schedule, max_steps,
// batch_size (questions per step), grad_clip, seed. Resumable: a killed run continues with the same numbers.
// stop_after_steps > 0 stops early (tests of interrupted runs).
struct ReftResult {
  std::string checkpoint_dir;
  nlohmann::json summary;
};
// `eval` (may be empty) runs every settings.eval_every steps and at the end: the held-out curve.
ReftResult RunReft(const SftConfig& settings, const ReftOptions& options, const std::string& out_dir,
                   int stop_after_steps = 0, const EvalCallback& eval = nullptr);

}  // namespace trainers
