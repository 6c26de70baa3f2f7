#include "trainers/wsrl/control/agent.h"

#include <cmath>

#include "trainers/distributed/world.h"
#include "trainers/model/train_ops.h"

namespace trainers::wsrl {

namespace {

constexpr double kLayerNormEps = 1e-5;  // torch.nn.functional.layer_norm's default

torch::Tensor Uniform(std::vector<int64_t> shape, double bound, at::Generator& gen) {
  return torch::rand(shape, gen) * (2 * bound) - bound;
}

// Parameters of a network as one list, for saving and loading in a fixed order.
void WriteTensors(torch::serialize::OutputArchive& archive, const std::string& prefix,
                  const std::vector<torch::Tensor>& tensors) {
  for (size_t i = 0; i < tensors.size(); ++i) archive.write(prefix + std::to_string(i), tensors[i]);
}

void ReadTensors(torch::serialize::InputArchive& archive, const std::string& prefix,
                 const std::vector<torch::Tensor>& tensors) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) {
    torch::Tensor value;
    archive.read(prefix + std::to_string(i), value);
    tensors[i].copy_(value);
  }
}

}  // namespace

EnsembleMlp::EnsembleMlp(int members, int in, int hidden, int layers, int out, at::Generator& gen)
    : members_(members) {
  int width = in;
  for (int l = 0; l <= layers; ++l) {
    const int next = l == layers ? out : hidden;
    const double bound = 1.0 / std::sqrt(static_cast<double>(width));  // PyTorch's Linear initialisation
    weights_.push_back(Uniform({members, width, next}, bound, gen).requires_grad_(true));
    biases_.push_back(Uniform({members, 1, next}, bound, gen).requires_grad_(true));
    if (l < layers) {
      ln_gain_.push_back(torch::ones({members, 1, next}).requires_grad_(true));
      ln_bias_.push_back(torch::zeros({members, 1, next}).requires_grad_(true));
    }
    width = next;
  }
}

torch::Tensor EnsembleMlp::Forward(const torch::Tensor& x) const {
  const int64_t layers = static_cast<int64_t>(ln_gain_.size());
  // On CPU fp32 the whole network is one node for a shared input (trainers/model/train_ops.h); elsewhere
  // the LibTorch expression, its definition.
  if (x.dim() == 2 && layers >= 1 && FusedOpsApply(x)) return FusedEnsembleMlp(x, Parameters(), layers, kLayerNormEps);
  torch::Tensor h = x;
  for (int64_t l = 0; l <= layers; ++l) {
    h = h.dim() == 2 ? torch::matmul(h, weights_[l]) + biases_[l] : torch::baddbmm(biases_[l], h, weights_[l]);
    if (l < layers) {
      const int64_t width = h.size(-1);
      h = torch::relu(torch::layer_norm(h, {width}, {}, {}, kLayerNormEps) * ln_gain_[l] + ln_bias_[l]);
    }
  }
  return h;
}

std::vector<torch::Tensor> EnsembleMlp::Parameters() const {
  std::vector<torch::Tensor> params;
  for (size_t l = 0; l < weights_.size(); ++l) {
    params.push_back(weights_[l]);
    params.push_back(biases_[l]);
    if (l < ln_gain_.size()) {
      params.push_back(ln_gain_[l]);
      params.push_back(ln_bias_[l]);
    }
  }
  return params;
}

void EnsembleMlp::CopyFrom(const EnsembleMlp& other) {
  torch::NoGradGuard no_grad;
  const auto mine = Parameters();
  const auto theirs = other.Parameters();
  for (size_t i = 0; i < mine.size(); ++i) mine[i].copy_(theirs[i]);
}

void EnsembleMlp::PolyakFrom(const EnsembleMlp& online, double tau) {
  torch::NoGradGuard no_grad;
  const auto mine = Parameters();
  const auto theirs = online.Parameters();
  for (size_t i = 0; i < mine.size(); ++i) mine[i].mul_(1.0 - tau).add_(theirs[i], tau);
}

torch::Tensor TanhGaussianLogProb(const torch::Tensor& u, const torch::Tensor& mean, const torch::Tensor& log_std) {
  const torch::Tensor z = (u - mean) * torch::exp(-log_std);
  const torch::Tensor gaussian = -0.5 * z * z - log_std - 0.5 * std::log(2 * M_PI);
  const torch::Tensor squash = 2.0 * (std::log(2.0) - u - torch::softplus(-2.0 * u));
  return (gaussian - squash).sum(-1);
}

Agent::Agent(const AgentSpec& spec, uint64_t seed)
    : spec_(spec), gen_(at::detail::createCPUGenerator(seed)), rng_(seed ^ 0x9E3779B97F4A7C15ULL) {
  actor_ = EnsembleMlp(1, spec.obs_dim, spec.actor_hidden, spec.actor_layers, 2 * spec.action_dim, gen_);
  critic_ = EnsembleMlp(spec.ensemble, spec.obs_dim + spec.action_dim, spec.critic_hidden, spec.critic_layers, 1, gen_);
  target_ = EnsembleMlp(spec.ensemble, spec.obs_dim + spec.action_dim, spec.critic_hidden, spec.critic_layers, 1, gen_);
  target_.CopyFrom(critic_);
  for (auto& p : target_.Parameters()) p.requires_grad_(false);
  log_temperature_ = torch::full({}, std::log(spec.init_temperature)).requires_grad_(true);
  actor_opt_ = std::make_unique<torch::optim::Adam>(actor_.Parameters(), torch::optim::AdamOptions(spec.actor_lr));
  critic_opt_ = std::make_unique<torch::optim::Adam>(critic_.Parameters(), torch::optim::AdamOptions(spec.critic_lr));
  temperature_opt_ = std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{log_temperature_},
                                                          torch::optim::AdamOptions(spec.temperature_lr));
}

BatchShare BatchShare::Of(int64_t total) {
  BatchShare share;
  share.total = total;
  if (!dist::Active()) return share;
  std::vector<int> all(static_cast<size_t>(total));
  for (int64_t i = 0; i < total; ++i) all[static_cast<size_t>(i)] = static_cast<int>(i);
  const std::vector<int> mine = dist::ShareOf(all);
  share.rows = torch::tensor(std::vector<int64_t>(mine.begin(), mine.end()), torch::kLong);
  return share;
}

torch::Tensor BatchShare::Cut(const torch::Tensor& whole, int64_t n) const {
  if (!rows.defined()) return whole;
  std::vector<int64_t> grouped = {total, n};
  for (int64_t d = 1; d < whole.dim(); ++d) grouped.push_back(whole.size(d));
  std::vector<int64_t> flat = {size() * n};
  for (int64_t d = 1; d < whole.dim(); ++d) flat.push_back(whole.size(d));
  return whole.reshape(grouped).index_select(0, rows).reshape(flat);
}

Batch Batch::Rows(const BatchShare& share) const {
  const auto cut = [&](const torch::Tensor& t) { return t.defined() ? share.Cut(t) : t; };
  return {cut(obs), cut(action), cut(reward), cut(next_obs), cut(done), cut(mc_return)};
}

PolicySample Agent::Sample(const torch::Tensor& obs, int n, const BatchShare* share) {
  const torch::Tensor input = n > 1 ? obs.repeat_interleave(n, 0) : obs;
  const auto out = actor_.Forward(input).squeeze(0).chunk(2, -1);
  const torch::Tensor mean = out[0];
  const torch::Tensor log_std = out[1].clamp(-5.0, 2.0);
  const torch::Tensor noise = share && share->rows.defined()
                                  ? share->Cut(torch::randn({share->total * n, mean.size(-1)}, gen_), n)
                                  : torch::randn(mean.sizes(), gen_);
  const torch::Tensor u = mean + torch::exp(log_std) * noise;
  return {torch::tanh(u), TanhGaussianLogProb(u, mean, log_std)};
}

torch::Tensor Agent::DeterministicAction(const torch::Tensor& obs) const {
  return torch::tanh(actor_.Forward(obs).squeeze(0).chunk(2, -1)[0]);
}

torch::Tensor Agent::Q(const torch::Tensor& obs, const torch::Tensor& action) const {
  return critic_.Forward(torch::cat({obs, action}, -1)).squeeze(-1);
}

torch::Tensor Agent::TargetQ(const torch::Tensor& obs, const torch::Tensor& action) const {
  return target_.Forward(torch::cat({obs, action}, -1)).squeeze(-1);
}

std::array<int64_t, 2> Agent::TargetMembers() {
  const int64_t e = spec_.ensemble;
  if (e < 2) return {0, 0};
  const int64_t first = std::uniform_int_distribution<int64_t>(0, e - 1)(rng_);
  int64_t second = std::uniform_int_distribution<int64_t>(0, e - 2)(rng_);
  if (second >= first) ++second;
  return {first, second};
}

std::vector<std::pair<const char*, torch::optim::Adam*>> Agent::Optimizers() const {
  return {{"actor_opt", actor_opt_.get()}, {"critic_opt", critic_opt_.get()}, {"temperature_opt", temperature_opt_.get()}};
}

void Agent::Save(const std::string& path) const {
  torch::serialize::OutputArchive archive;
  WriteTensors(archive, "actor.", actor_.Parameters());
  WriteTensors(archive, "critic.", critic_.Parameters());
  WriteTensors(archive, "target.", target_.Parameters());
  archive.write("log_temperature", log_temperature_);
  for (const auto& [name, opt] : Optimizers()) {
    torch::serialize::OutputArchive sub;
    opt->save(sub);
    archive.write(name, sub);
  }
  archive.save_to(path);
}

void Agent::Load(const std::string& path) {
  torch::serialize::InputArchive archive;
  archive.load_from(path);
  ReadTensors(archive, "actor.", actor_.Parameters());
  ReadTensors(archive, "critic.", critic_.Parameters());
  ReadTensors(archive, "target.", target_.Parameters());
  {
    torch::NoGradGuard no_grad;
    torch::Tensor value;
    archive.read("log_temperature", value);
    log_temperature_.copy_(value);
  }
  for (const auto& [name, opt] : Optimizers()) {
    torch::serialize::InputArchive sub;
    archive.read(name, sub);
    opt->load(sub);
  }
}

torch::Tensor TdTarget(const torch::Tensor& next_q, const std::array<int64_t, 2>& members, const torch::Tensor& reward,
                       const torch::Tensor& done, double gamma) {
  return MaxBackupTarget(next_q.unsqueeze(-1), members, reward, done, gamma);  // one sampled next action
}

torch::Tensor MaxBackupTarget(const torch::Tensor& next_q, const std::array<int64_t, 2>& members,
                              const torch::Tensor& reward, const torch::Tensor& done, double gamma) {
  const torch::Tensor chosen = next_q.index_select(0, torch::tensor({members[0], members[1]}, torch::kLong));
  const torch::Tensor best = std::get<0>(std::get<0>(chosen.min(0)).max(-1));
  return reward + gamma * (1.0 - done) * best;
}

torch::Tensor TdLoss(const torch::Tensor& q, const torch::Tensor& target) {
  return (q - target.unsqueeze(0)).pow(2).mean();
}

torch::Tensor CqlPenalty(const torch::Tensor& q_data, const torch::Tensor& q_rand, const torch::Tensor& q_cur,
                         const torch::Tensor& log_cur, const torch::Tensor& q_next, const torch::Tensor& log_next,
                         const torch::Tensor& mc, int action_dim, bool calql) {
  const double log_uniform = action_dim * std::log(0.5);  // density of uniform actions on [−1, 1]^A
  torch::Tensor cur = q_cur, next = q_next;
  if (calql) {
    const torch::Tensor bound = mc.view({1, -1, 1});
    cur = torch::max(cur, bound);
    next = torch::max(next, bound);
  }
  const torch::Tensor all = torch::cat({q_rand - log_uniform, cur - log_cur.unsqueeze(0), next - log_next.unsqueeze(0)}, -1);
  return (torch::logsumexp(all, -1) - q_data).mean();
}

torch::Tensor ActorLoss(const torch::Tensor& q_pi, const torch::Tensor& log_pi, const torch::Tensor& temperature) {
  return (temperature * log_pi - q_pi.mean(0)).mean();
}

torch::Tensor TemperatureLoss(const torch::Tensor& log_temperature, const torch::Tensor& log_pi, double target_entropy) {
  return log_temperature.exp() * (-log_pi - target_entropy).mean();
}

namespace {

// Sums this rank's gradients of `params` and its parts of `stats` over the ranks, in one collective.
// Nothing to do alone.
void SumOverRanks(const std::vector<torch::Tensor>& params, std::vector<double*> stats) {
  if (!dist::Active()) return;
  std::vector<torch::Tensor> tensors;
  for (const auto& p : params) tensors.push_back(p.grad().defined() ? p.grad() : (p.mutable_grad() = torch::zeros_like(p)));
  torch::Tensor values = torch::zeros({static_cast<int64_t>(stats.size())}, torch::kFloat);
  for (size_t i = 0; i < stats.size(); ++i) values[static_cast<int64_t>(i)] = static_cast<float>(*stats[i]);
  tensors.push_back(values);
  dist::AllReduceSum(tensors);
  for (size_t i = 0; i < stats.size(); ++i) *stats[i] = tensors.back()[static_cast<int64_t>(i)].item<double>();
}

std::vector<torch::Tensor> Concat(std::vector<torch::Tensor> a, const std::vector<torch::Tensor>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

UpdateStats CriticUpdate(Agent& agent, const Batch& whole, const UpdateOptions& options) {
  UpdateStats stats;
  const BatchShare share = BatchShare::Of(whole.obs.size(0));
  const Batch batch = whole.Rows(share);
  const int64_t b = batch.obs.size(0);
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    // One next action (SAC), or cql_samples of them with the max over actions (CQL's max-target backup).
    const int n = options.max_target_backup ? options.cql_samples : 1;
    const PolicySample next = agent.Sample(batch.next_obs, n, &share);
    const torch::Tensor next_obs = n > 1 ? batch.next_obs.repeat_interleave(n, 0) : batch.next_obs;
    const torch::Tensor next_q = agent.TargetQ(next_obs, next.action);
    target = MaxBackupTarget(next_q.view({next_q.size(0), b, n}), agent.TargetMembers(), batch.reward, batch.done,
                             options.gamma);
  }
  // Batch means enter as this rank's part (× fraction; exactly the mean alone).
  const double part = share.fraction();
  torch::Tensor q, loss;
  if (!options.cql) {
    q = agent.Q(batch.obs, batch.action);
    loss = TdLoss(q, target) * part;
    stats.td_loss = loss.item<double>();
  } else {
    // One critic forward over the data actions and the 3·n sampled ones (random, π(s), π(s')).
    const int n = options.cql_samples;
    const int a = agent.spec().action_dim;
    PolicySample cur, next;
    {
      torch::NoGradGuard no_grad;
      cur = agent.Sample(batch.obs, n, &share);
      next = agent.Sample(batch.next_obs, n, &share);
    }
    const torch::Tensor random = share.Cut(torch::rand({share.total * n, a}, agent.generator()) * 2 - 1, n);
    const torch::Tensor obs_rep = batch.obs.repeat_interleave(n, 0);
    const torch::Tensor all_q = agent.Q(torch::cat({batch.obs, obs_rep, obs_rep, obs_rep}),
                                        torch::cat({batch.action, random, cur.action, next.action}));
    const auto parts = all_q.split({b, b * n, b * n, b * n}, 1);
    const int64_t e = all_q.size(0);
    q = parts[0];
    const torch::Tensor td = TdLoss(q, target) * part;
    const torch::Tensor penalty = CqlPenalty(q, parts[1].view({e, b, n}), parts[2].view({e, b, n}), cur.log_prob.view({b, n}),
                                             parts[3].view({e, b, n}), next.log_prob.view({b, n}), batch.mc_return, a,
                                             options.calql) *
                                  part;
    loss = td + options.cql_alpha * penalty;
    stats.td_loss = td.item<double>();
    stats.cql_penalty = penalty.item<double>();
  }
  agent.critic_optimizer().zero_grad();
  loss.backward();
  stats.critic_loss = loss.item<double>();
  stats.q_mean = (q.mean() * part).item<double>();
  SumOverRanks(agent.critic().Parameters(), {&stats.critic_loss, &stats.td_loss, &stats.cql_penalty, &stats.q_mean});
  agent.critic_optimizer().step();
  agent.target_critic().PolyakFrom(agent.critic(), options.tau);
  return stats;
}

UpdateStats ActorUpdate(Agent& agent, const Batch& whole) {
  UpdateStats stats;
  const BatchShare share = BatchShare::Of(whole.obs.size(0));
  const Batch batch = whole.Rows(share);
  const double part = share.fraction();
  // The actor's and the temperature's losses both use log π before this update (the temperature's
  // detached), so both backward passes run before either step and one collective sums both.
  const auto critic_params = agent.critic().Parameters();
  for (auto& p : critic_params) p.requires_grad_(false);  // the actor's loss moves only the actor
  const PolicySample pi = agent.Sample(batch.obs, 1, &share);
  const torch::Tensor q_pi = agent.Q(batch.obs, pi.action);
  const torch::Tensor loss = ActorLoss(q_pi, pi.log_prob, agent.temperature().detach()) * part;
  agent.actor_optimizer().zero_grad();
  loss.backward();
  for (auto& p : critic_params) p.requires_grad_(true);
  const torch::Tensor log_pi = pi.log_prob.detach();
  const torch::Tensor temperature_loss =
      TemperatureLoss(agent.log_temperature(), log_pi, -static_cast<double>(agent.spec().action_dim)) * part;
  agent.temperature_optimizer().zero_grad();
  temperature_loss.backward();
  stats.actor_loss = loss.item<double>();
  stats.entropy = -(log_pi.mean() * part).item<double>();
  SumOverRanks(Concat(agent.actor().Parameters(), {agent.log_temperature()}), {&stats.actor_loss, &stats.entropy});
  agent.actor_optimizer().step();
  agent.temperature_optimizer().step();
  stats.temperature = agent.temperature().item<double>();
  return stats;
}

}  // namespace trainers::wsrl
