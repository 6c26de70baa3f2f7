// WSRL's control study (arXiv 2412.07762, Alg. 1; method_anchors.md §4): Cal-QL pre-training on the
// maze's offline dataset, then online SAC whose arms differ only in how the online phase starts (warm-up
// policy and size, retained offline data, or no pre-training at all). Each call runs one seed and returns
// the study JSON the runner puts into results.json and the report draws (curves over online steps,
// per-arm scalars).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "harness/util/config_fields.h"
#include "trainers/wsrl/control/agent.h"
#include "trainers/wsrl/control/maze.h"

namespace trainers::wsrl {

struct WsrlOptions {
  // > Environment (reward ×10 − 5: WSRL's AntMaze setting)
  std::string maze = "medium";
  int horizon = 200;
  double step_size = 0.4;       // displacement per step at full action (16 moves ≈ 40 steps S→G)
  double reward_scale = 10.0;
  double reward_bias = -5.0;
  double gamma = 0.99;
  // > Offline dataset (mixed-quality waypoint controller + random episodes)
  int dataset_episodes = 1000;
  int episode_steps = 60;
  int segment_cells = 4;
  double random_share = 0.2;
  double heldout_share = 0.1;   // transitions kept out of training: the Q diagnostic's offline set
  // > Networks and optimizers (WSRL: 10 critics 4×256, actor 2×256, batch 256 per update)
  int ensemble = 4;
  int critic_hidden = 64;
  int critic_layers = 2;
  int actor_hidden = 64;
  int actor_layers = 2;
  double actor_lr = 1e-4;
  double critic_lr = 3e-4;
  double temperature_lr = 1e-4;
  double tau = 5e-3;
  int batch_size = 256;
  // > Offline pre-training: Cal-QL
  int offline_steps = 12000;
  double cql_alpha = 5.0;
  int cql_samples = 4;
  bool calql = true;            // false: plain CQL
  bool max_target_backup = true;  // CQL's max over sampled next actions in the target (WSRL AntMaze: on)
  int offline_eval_every = 1000;
  // > Online fine-tuning: SAC with a critic ensemble (WSRL: UTD 4, 500k steps, 5k warm-up)
  int online_steps = 4000;
  int utd = 2;
  // > The arm
  std::string init = "pretrained";          // pretrained (the offline agent) | scratch
  int warmup_steps = 500;                   // environment steps before the first update
  double warmup_scale = 1.0;                // the warm-up-size ablation multiplies warmup_steps (WSRL: 1K/5K/20K)
  std::string warmup_policy = "pretrained";  // pretrained (π_pre, WSRL) | random (uniform actions)
  double offline_ratio = 0.0;               // share of each batch from the offline data (retention, RLPD: 0.5)
  bool append_offline = false;              // copy the offline data into the online buffer (retention)
  // > Evaluation (denser right after the switch, where the dip lives)
  int eval_episodes = 20;
  int eval_every = 500;
  int dense_until = 2000;
  int dense_every = 200;
  int q_probe = 1000;                       // transitions in each Q diagnostic
};

const util::Fields<WsrlOptions>& WsrlOptionsFields();
// The fields that change the offline pre-training (its step key leaves the online ones out).
nlohmann::json OfflineTrainingOptions(const nlohmann::json& options);

// The maze, dataset and agent spec the options describe.
PointMaze MakeMaze(const WsrlOptions& options);
RewardScale MakeReward(const WsrlOptions& options);
AgentSpec MakeAgentSpec(const WsrlOptions& options);

// Offline transitions split into training and held-out parts (seeded).
struct OfflineData {
  std::vector<Transition> train, heldout;
};
OfflineData MakeOfflineData(const WsrlOptions& options, uint64_t seed);

// Transitions as tensors, with uniform sampling; the online buffer grows, the offline one is fixed.
class ReplayBuffer {
 public:
  explicit ReplayBuffer(int64_t capacity);
  void Add(const Transition& t);
  void AddAll(const std::vector<Transition>& ts);
  int64_t size() const { return size_; }
  Batch Gather(const torch::Tensor& indices) const;
  Batch Sample(int64_t n, std::mt19937_64& rng) const;
  Batch Last(int64_t n) const;  // the newest n transitions (all when fewer)

 private:
  int64_t capacity_ = 0, size_ = 0;
  torch::Tensor obs_, action_, reward_, next_obs_, done_, mc_;
};

// A batch of n: round(offline_ratio·n) from `offline` (may be null when the ratio is 0), the rest online.
Batch SampleMixed(const ReplayBuffer& online, const ReplayBuffer* offline, double offline_ratio, int64_t n,
                  std::mt19937_64& rng);

// The warm-up length of an arm: round(warmup_steps · warmup_scale).
int WarmupSteps(const WsrlOptions& options);

// Whether online step `step` (1-based) updates: WSRL's gate, step > max(K, batch·(1 − offline_ratio)).
bool UpdatesAt(int step, int warmup_steps, int batch_size, double offline_ratio);

// The deterministic policy over `episodes` starts (seeded; all run as one batch): the share that reach the
// goal, and the mean steps an episode takes (the horizon when it fails; fewer = a shorter path).
struct PolicyEvaluation {
  double success = 0;
  double steps = 0;
};
PolicyEvaluation EvaluatePolicy(const Agent& agent, const PointMaze& maze, int episodes, int horizon, uint64_t seed);
// Mean over the ensemble and the batch of Q(s, a).
double MeanQ(const Agent& agent, const Batch& batch);

// Online steps at which the online phase evaluates: 0, every dense_every up to dense_until, then every
// eval_every, and the last step.
std::vector<int> EvaluationSteps(const WsrlOptions& options);

// Offline Cal-QL pre-training for one seed; saves <out_dir>/agent.pt. Returns the study JSON (success and
// Q over offline updates).
nlohmann::json RunOffline(const WsrlOptions& options, uint64_t seed, const std::string& out_dir);
// The online phase of one arm for one seed, from `init_agent` (agent.pt of the offline step; "" when the
// arm starts from scratch); saves <out_dir>/agent.pt. `arm` labels the study.
nlohmann::json RunOnline(const WsrlOptions& options, uint64_t seed, const std::string& init_agent,
                         const std::string& out_dir, const std::string& arm);

}  // namespace trainers::wsrl
