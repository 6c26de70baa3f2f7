// WSRL on text: Warm-Start RL (Zhou, Peng, Li, Levine, Kumar; arXiv:2412.07762, ICLR 2025), its recipe on
// the reasoning tasks. After offline pre-training, online fine-tuning need not keep the offline data if a
// short warm-up of the pre-trained policy's own rollouts re-fits the critic before any actor update.
//   1. Offline (RunWsrlTextOffline): the generators' mixed-quality trajectories, each with its answer
//      reward (the task's own extractor and equivalence: 1 / 0.1 / 0, ReFT's reward). The policy learns by
//      reward-weighted SFT (each trajectory's token NLL weighted by its reward: the offline-RL analogue of
//      advantage- or return-weighted regression, with which a sequence of reward 0 teaches nothing), and a
//      value head on the shared trunk regresses every token's value to the trajectory's Monte-Carlo return
//      (gamma 1: the sequence reward) with MSE, the analogue of Cal-QL's calibration to MC returns.
//   2. Online (OnlineReftOptions + RunReft): PPO from the offline checkpoint with its value head, the
//      first K steps critic-only (rollouts of the pre-trained policy re-fit the value head; the policy is
//      frozen), then actor-critic updates on fresh rollouts only: an empty buffer, never the offline data.
//      Arms: K = 0 (no warm-up), retention (the offline policy loss, the reward-weighted NLL of offline
//      trajectories, in every policy update after the warm-up), a freshly initialised critic.
// Facts: ../shared/research/method_anchors.md §4 (the LLM analogue in §4.4) and §2 (the PPO underneath).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/util/config_fields.h"
#include "trainers/reft/reft.h"
#include "trainers/rl/offline_data.h"
#include "trainers/sft/sft_config.h"
#include "trainers/sft/sft_trainer.h"

namespace trainers {

// The files an offline checkpoint carries beside its weights: the trajectories it was trained on and the
// held-out ones its value is measured on (the online phase reads them from its starting checkpoint).
inline constexpr const char* kWsrlOfflineDataFile = "wsrl_offline_data.jsonl";
inline constexpr const char* kWsrlOfflineProbeFile = "wsrl_offline_probe.jsonl";

struct WsrlTextOfflineOptions {
  std::vector<std::string> tasks;    // families (empty = every task of the run but code)
  // > Data: the generators' mixed-quality mode (every problem: its expert solution + sub-optimal ones)
  int suboptimal = 2;                // sub-optimal solutions per problem
  double wrong_rate = 0.5;           // probability a sub-optimal solution's answer is wrong
  std::vector<std::string> flaws;    // flaw kinds drawn (empty = all)
  double expert_share = 1.0;         // share of problems whose expert solution joins the data
  int probe = 32;                    // trajectories of held-out problems (never trained on) for the diagnostic
  // > Reward and losses
  double partial_reward = 0.1;       // reward of an extractable wrong answer (ReFT's)
  std::string policy_loss = "reward-weighted";  // reward-weighted | filtered (reward 1 only) | uniform (BC)
  double value_coef = 1.0;           // weight of the value regression against the policy's NLL
};

const util::Fields<WsrlTextOfflineOptions>& WsrlTextOfflineOptionsFields();

// The offline dataset: every training problem of the chosen tasks in the generators' mixed mode, each
// solution a trajectory scored by rl::AnswerRewards (partial_reward for an extractable wrong answer).
// Needs synthetic sources (a data file has no mixed mode): util::InputError naming the task otherwise.
std::vector<rl::OfflineTrajectory> MixedQualityTrajectories(const SftConfig& settings,
                                                            const WsrlTextOfflineOptions& options,
                                                            const std::string& data_dir);

// A trajectory's weight in the policy's loss: reward-weighted = its reward; filtered = 1 when reward >= 1
// else 0; uniform = 1.
double OfflinePolicyWeight(const std::string& policy_loss, double reward);

struct WsrlTextOfflineResult {
  std::string checkpoint_dir;  // HF layout with the value head, and the two trajectory files
  nlohmann::json summary;
};
// Trains from settings.init_checkpoint (the warm-up SFT) into out_dir; resumable like every trainer here.
WsrlTextOfflineResult RunWsrlTextOffline(const SftConfig& settings, const WsrlTextOfflineOptions& options,
                                         const std::string& out_dir, int stop_after_steps = 0,
                                         const EvalCallback& eval = nullptr);

// The online phase's options (section "wsrl_text"); `ppo` is ReFT's PPO underneath, except the options
// this section sets (critic warm-up, value head, offline data), which it must leave at their defaults.
struct WsrlTextOptions {
  int warmup_steps = 4;              // K: critic-only steps on the pre-trained policy's rollouts (WSRL: 5000 env steps)
  std::string critic = "offline";    // offline: the offline value head | fresh: a freshly initialised one
  bool retention = false;            // mix the offline trajectories into every policy update
  double retention_coef = 1.0;       // their NLL's coefficient (1 with batch_size texts: half of each update)
  ReftOptions ppo;
};

const util::Fields<WsrlTextOptions>& WsrlTextOptionsFields();

// ReFT's options for the online phase from the offline checkpoint.
ReftOptions OnlineReftOptions(const WsrlTextOptions& options, const std::string& offline_checkpoint);

}  // namespace trainers
