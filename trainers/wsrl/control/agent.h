// The small-MLP agents of WSRL's control study (arXiv 2412.07762; method_anchors.md §4.1): a tanh-Gaussian
// actor, an ensemble of LayerNorm critics evaluated as batched matrix products (one baddbmm per layer for
// every member, never a loop over critics), an auto-tuned temperature, and the losses of SAC (online;
// REDQ's min over 2 random members in the target) and Cal-QL (offline; CQL whose policy-action Q values are
// lower-bounded by Monte-Carlo returns). The loss functions are free functions on tensors so that tests
// can check them on hand-made batches.
#pragma once

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

namespace trainers::wsrl {

// E independent MLPs (Linear → LayerNorm → ReLU per hidden layer, then Linear), weights stacked as
// [E, in, out] so that the ensemble runs as one batched product per layer.
class EnsembleMlp {
 public:
  EnsembleMlp() = default;
  EnsembleMlp(int members, int in, int hidden, int layers, int out, at::Generator& gen);
  // x: [B, in] (shared by every member) or [E, B, in]; returns [E, B, out].
  torch::Tensor Forward(const torch::Tensor& x) const;
  std::vector<torch::Tensor> Parameters() const;
  int members() const { return members_; }
  // Copies `other`'s values (same shapes): target networks.
  void CopyFrom(const EnsembleMlp& other);
  // target ← (1 − tau)·target + tau·online.
  void PolyakFrom(const EnsembleMlp& online, double tau);

 private:
  int members_ = 0;
  std::vector<torch::Tensor> weights_, biases_, ln_gain_, ln_bias_;  // ln_*: one per hidden layer
};

struct AgentSpec {
  int obs_dim = 2;
  int action_dim = 2;
  int ensemble = 4;          // critics (WSRL: 10)
  int critic_hidden = 64;    // WSRL AntMaze: 4 × 256
  int critic_layers = 2;
  int actor_hidden = 64;     // WSRL AntMaze: 2 × 256
  int actor_layers = 2;
  double actor_lr = 1e-4;    // WSRL: actor 1e-4, critic 3e-4, temperature 1e-4
  double critic_lr = 3e-4;
  double temperature_lr = 1e-4;
  double init_temperature = 1.0;
};

// This rank's rows of a batch that every rank drew alike (data parallelism; trainers/distributed/world.h):
// every Size()-th row from Rank(), or all of them alone. Random draws for a batch are made for all `total`
// rows and cut to this rank's, so that each row gets what it would get with one rank.
struct BatchShare {
  int64_t total = 0;
  torch::Tensor rows;  // int64 [b] into the whole batch; undefined when this rank has all of them
  static BatchShare Of(int64_t total);
  int64_t size() const { return rows.defined() ? rows.size(0) : total; }
  // This rank's part of a mean over the batch: a mean over its rows times this is its addend of the sum.
  double fraction() const { return total > 0 ? static_cast<double>(size()) / total : 0.0; }
  // [total·n, ...] with n consecutive entries per row → this rank's [b·n, ...].
  torch::Tensor Cut(const torch::Tensor& whole, int64_t n = 1) const;
};

// A sampled action, its pre-squash value's log-density with the tanh correction.
struct PolicySample {
  torch::Tensor action;    // [B, A] in (−1, 1)
  torch::Tensor log_prob;  // [B]
};

// log π(a|s) of a tanh-squashed Gaussian at pre-squash u: Σ [log N(u; μ, σ) − log(1 − tanh(u)²)], with the
// stable form log(1 − tanh(u)²) = 2·(log 2 − u − softplus(−2u)).
torch::Tensor TanhGaussianLogProb(const torch::Tensor& u, const torch::Tensor& mean, const torch::Tensor& log_std);

class Agent {
 public:
  Agent(const AgentSpec& spec, uint64_t seed);
  const AgentSpec& spec() const { return spec_; }
  // Samples n actions per observation ([B, obs] → action [B·n, A] ordered observation-major). With a
  // share, obs holds its rows and the noise is drawn for the whole batch, then cut.
  PolicySample Sample(const torch::Tensor& obs, int n = 1, const BatchShare* share = nullptr);
  torch::Tensor DeterministicAction(const torch::Tensor& obs) const;  // tanh(μ)
  // Q of every member: [E, B].
  torch::Tensor Q(const torch::Tensor& obs, const torch::Tensor& action) const;
  torch::Tensor TargetQ(const torch::Tensor& obs, const torch::Tensor& action) const;
  torch::Tensor temperature() const { return log_temperature_.exp(); }
  // Two distinct random members for the target's minimum (REDQ).
  std::array<int64_t, 2> TargetMembers();

  EnsembleMlp& actor() { return actor_; }
  EnsembleMlp& critic() { return critic_; }
  EnsembleMlp& target_critic() { return target_; }
  torch::Tensor& log_temperature() { return log_temperature_; }
  torch::optim::Adam& actor_optimizer() { return *actor_opt_; }
  torch::optim::Adam& critic_optimizer() { return *critic_opt_; }
  torch::optim::Adam& temperature_optimizer() { return *temperature_opt_; }
  at::Generator& generator() { return gen_; }

  // Weights, target, temperature and optimizer states (WSRL keeps the optimizer state across the switch).
  void Save(const std::string& path) const;
  void Load(const std::string& path);

 private:
  // The three optimizers with their archive names (saving and loading walk the same list).
  std::vector<std::pair<const char*, torch::optim::Adam*>> Optimizers() const;

  AgentSpec spec_;
  at::Generator gen_;
  std::mt19937_64 rng_;
  EnsembleMlp actor_, critic_, target_;
  torch::Tensor log_temperature_;
  std::unique_ptr<torch::optim::Adam> actor_opt_, critic_opt_, temperature_opt_;
};

// A batch of transitions as tensors (mc_return only for offline data).
struct Batch {
  torch::Tensor obs, action, reward, next_obs, done, mc_return;  // [B, ·] / [B]
  Batch Rows(const BatchShare& share) const;
};

// ---- Losses (hand-checkable) ----
// TD target r + γ(1 − done)·min over the two chosen members of the target Q at the next state: [B].
torch::Tensor TdTarget(const torch::Tensor& next_q, const std::array<int64_t, 2>& members, const torch::Tensor& reward,
                       const torch::Tensor& done, double gamma);
// CQL's max-target backup: next_q [E, B, n] over n sampled next actions; the min over the two chosen
// members, then the max over the actions: r + γ(1 − done)·max_j min_m Q_m(s', a'_j).
torch::Tensor MaxBackupTarget(const torch::Tensor& next_q, const std::array<int64_t, 2>& members,
                              const torch::Tensor& reward, const torch::Tensor& done, double gamma);
// Mean over members and batch of (Q_e(s, a) − y)².
torch::Tensor TdLoss(const torch::Tensor& q, const torch::Tensor& target);
// The CQL regulariser with importance sampling (Kumar et al. 2020, CQL(H)), Cal-QL's lower bound on the
// policy-action values (Nakamoto et al. 2023): mean over members and batch of
//   logsumexp_j [ Q(s, a_rand_j) − log(0.5^A),  max(Q(s, a_cur_j), mc) − log π(a_cur_j|s),
//                 max(Q(s, a_next_j), mc) − log π(a_next_j|s') ]  −  Q(s, a_data).
// q_*: [E, B, n]; log_*: [B, n]; mc: [B] (ignored when calql is false); q_data: [E, B].
torch::Tensor CqlPenalty(const torch::Tensor& q_data, const torch::Tensor& q_rand, const torch::Tensor& q_cur,
                         const torch::Tensor& log_cur, const torch::Tensor& q_next, const torch::Tensor& log_next,
                         const torch::Tensor& mc, int action_dim, bool calql);
// SAC's actor loss: mean over the batch of α·log π(a|s) − mean_e Q_e(s, a) with a ~ π(s).
torch::Tensor ActorLoss(const torch::Tensor& q_pi, const torch::Tensor& log_pi, const torch::Tensor& temperature);
// The temperature's loss α·(−log π − H̄): α rises while the entropy is below the target H̄ = −|A|.
torch::Tensor TemperatureLoss(const torch::Tensor& log_temperature, const torch::Tensor& log_pi, double target_entropy);

struct UpdateOptions {
  double gamma = 0.99;
  double tau = 5e-3;
  bool cql = false;        // add the CQL regulariser (offline)
  bool calql = true;       // with Cal-QL's MC lower bound
  double cql_alpha = 5.0;  // WSRL/Cal-QL AntMaze: 5 (their autotune is not reproduced)
  int cql_samples = 4;     // sampled actions per kind (WSRL: 10)
  bool max_target_backup = false;  // target = max over cql_samples next actions (WSRL's Cal-QL on AntMaze)
};

struct UpdateStats {
  double critic_loss = 0, td_loss = 0, cql_penalty = 0, q_mean = 0, actor_loss = 0, temperature = 0, entropy = 0;
};

// One critic update (TD, + CQL when options.cql) and the Polyak target step.
// Data-parallel: every rank passes the same batch, computes the losses of its share of the rows as its
// part of the batch means, and the gradients and statistics are summed over the ranks (one collective per
// update), so every rank steps alike, as one rank would up to float summation order.
UpdateStats CriticUpdate(Agent& agent, const Batch& batch, const UpdateOptions& options);
// One actor and temperature update (data-parallel as CriticUpdate).
UpdateStats ActorUpdate(Agent& agent, const Batch& batch);

}  // namespace trainers::wsrl
