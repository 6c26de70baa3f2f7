// The control study's two loops, top to bottom (WSRL, arXiv 2412.07762, Alg. 1 and its code's
// `finetune.py`):
//   RunOffline: 1. maze, dataset, agent; 2. Cal-QL updates on offline batches; 3. evaluations; 4. save.
//   RunOnline:  1. maze, held-out offline data, agent (π_pre and Q_pre, or fresh); 2. buffers (empty, or
//               the offline data appended); then per environment step 3. act (warm-up: π_pre or uniform);
//               4. store; 5. past the gate, UTD critic updates and one actor update; 6. evaluate.
#include "trainers/wsrl/control/study.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/distributed/world.h"

namespace trainers::wsrl {

using nlohmann::json;

const util::Fields<WsrlOptions>& WsrlOptionsFields() {
  using O = WsrlOptions;
  static const auto* fields = [] {
    auto* f = new util::Fields<O>();
    f->Add("maze", &O::maze, "maze layout", util::OneOf(MazeNames()))
        .Add("horizon", &O::horizon, "steps per episode", util::InRange(10, 5000))
        .Add("step_size", &O::step_size, "displacement per step at full action (cells are 1 wide)",
             util::InRange(0.01, 0.9))
        .Add("reward_scale", &O::reward_scale, "reward at the goal is scale + bias, elsewhere bias (WSRL AntMaze: 10)",
             util::InRange(0.01, 1000.0))
        .Add("reward_bias", &O::reward_bias, "added to every reward (WSRL AntMaze: -5)", util::InRange(-1000.0, 1000.0))
        .Add("gamma", &O::gamma, "discount (WSRL: 0.99)", util::InRange(0.5, 0.999))
        .Add("dataset_episodes", &O::dataset_episodes, "behaviour episodes in the offline dataset", util::InRange(1, 100000))
        .Add("episode_steps", &O::episode_steps, "steps per behaviour episode", util::InRange(1, 5000))
        .Add("segment_cells", &O::segment_cells, "behaviour waypoint goals at most this many cells away",
             util::InRange(1, 100))
        .Add("random_share", &O::random_share, "share of behaviour episodes with uniform random actions",
             util::InRange(0.0, 1.0))
        .Add("heldout_share", &O::heldout_share, "offline transitions held out for the Q diagnostic",
             util::InRange(0.0, 0.5))
        .Add("ensemble", &O::ensemble, "critics in the ensemble (WSRL: 10)", util::InRange(2, 64))
        .Add("critic_hidden", &O::critic_hidden, "critic width", util::InRange(4, 4096))
        .Add("critic_layers", &O::critic_layers, "critic hidden layers", util::InRange(1, 8))
        .Add("actor_hidden", &O::actor_hidden, "actor width", util::InRange(4, 4096))
        .Add("actor_layers", &O::actor_layers, "actor hidden layers", util::InRange(1, 8))
        .Add("actor_lr", &O::actor_lr, "actor learning rate (WSRL: 1e-4)", util::InRange(1e-7, 1.0))
        .Add("critic_lr", &O::critic_lr, "critic learning rate (WSRL: 3e-4)", util::InRange(1e-7, 1.0))
        .Add("temperature_lr", &O::temperature_lr, "temperature learning rate (WSRL: 1e-4)", util::InRange(1e-7, 1.0))
        .Add("tau", &O::tau, "Polyak rate of the target critics (WSRL: 5e-3)", util::InRange(1e-5, 1.0))
        .Add("batch_size", &O::batch_size, "transitions per update (WSRL: 256 per UTD minibatch)", util::InRange(2, 65536))
        .Add("offline_steps", &O::offline_steps, "Cal-QL updates", util::InRange(0, 10000000))
        .Add("cql_alpha", &O::cql_alpha, "CQL regulariser weight (WSRL AntMaze: 5)", util::InRange(0.0, 1000.0))
        .Add("cql_samples", &O::cql_samples, "sampled actions per kind in the CQL term (WSRL: 10)", util::InRange(1, 64))
        .Add("calql", &O::calql, "lower-bound the policy actions' Q by MC returns (Cal-QL); false = CQL")
        .Add("max_target_backup", &O::max_target_backup,
             "offline target: max over cql_samples next actions of the min of two critics (WSRL AntMaze)")
        .Add("offline_eval_every", &O::offline_eval_every, "offline updates between evaluations", util::AtLeast(1))
        .Add("online_steps", &O::online_steps, "online environment steps, warm-up included", util::InRange(1, 10000000))
        .Add("utd", &O::utd, "critic updates per environment step (WSRL: 4)", util::InRange(1, 64))
        .Add("init", &O::init, "pretrained: start from the offline agent; scratch: fresh networks",
             util::OneOf({"pretrained", "scratch"}))
        .Add("warmup_steps", &O::warmup_steps,
             "environment steps before the first update (WSRL: 5000 of 500k); the gate is max(K, batch·(1 − "
             "offline_ratio)), so a K below the batch size is no warm-up at all",
             util::AtLeast(0))
        .Add("warmup_scale", &O::warmup_scale, "multiplies warmup_steps (the warm-up-size arms)",
             util::InRange(0.0, 100.0))
        .Add("warmup_policy", &O::warmup_policy, "who acts during the warm-up: pretrained (WSRL) | random",
             util::OneOf({"pretrained", "random"}))
        .Add("offline_ratio", &O::offline_ratio, "share of every batch drawn from the offline data (retention)",
             util::InRange(0.0, 1.0))
        .Add("append_offline", &O::append_offline, "copy the offline data into the online buffer (retention)")
        .Add("eval_episodes", &O::eval_episodes, "deterministic episodes per evaluation", util::InRange(1, 10000))
        .Add("eval_every", &O::eval_every, "online steps between evaluations", util::AtLeast(1))
        .Add("dense_until", &O::dense_until, "evaluate densely for this many steps after the switch", util::AtLeast(0))
        .Add("dense_every", &O::dense_every, "steps between the dense evaluations", util::AtLeast(1))
        .Add("q_probe", &O::q_probe, "transitions in each Q diagnostic", util::InRange(1, 1000000))
        .Rule([](const O& o) -> util::RuleFailure {
          if (o.warmup_steps * o.warmup_scale > o.online_steps) {
            return {"warmup_steps", "times warmup_scale must not exceed online_steps"};
          }
          return util::Ok();
        });
    return f;
  }();
  return *fields;
}

json OfflineTrainingOptions(const json& options) {
  // The fields only the online phase reads; every other field (a new one too) keys the offline step, so a
  // forgotten entry here costs a retraining, never a stale reuse.
  static const char* kOnlineOnly[] = {"online_steps", "utd", "init", "warmup_steps", "warmup_scale", "warmup_policy",
                                      "offline_ratio", "append_offline", "eval_every", "dense_until", "dense_every"};
  json out = options;
  for (const char* key : kOnlineOnly) out.erase(key);
  return out;
}

PointMaze MakeMaze(const WsrlOptions& options) {
  MazeSpec spec = NamedMaze(options.maze);
  spec.horizon = options.horizon;
  spec.step_size = options.step_size;
  return PointMaze(spec);
}

RewardScale MakeReward(const WsrlOptions& options) { return {options.reward_scale, options.reward_bias}; }

AgentSpec MakeAgentSpec(const WsrlOptions& o) {
  AgentSpec spec;
  spec.ensemble = o.ensemble;
  spec.critic_hidden = o.critic_hidden;
  spec.critic_layers = o.critic_layers;
  spec.actor_hidden = o.actor_hidden;
  spec.actor_layers = o.actor_layers;
  spec.actor_lr = o.actor_lr;
  spec.critic_lr = o.critic_lr;
  spec.temperature_lr = o.temperature_lr;
  return spec;
}

OfflineData MakeOfflineData(const WsrlOptions& options, uint64_t seed) {
  DatasetOptions d;
  d.episodes = options.dataset_episodes;
  d.episode_steps = options.episode_steps;
  d.segment_cells = options.segment_cells;
  d.random_share = options.random_share;
  d.seed = seed * 7919 + 17;
  std::vector<Transition> all = BehaviourDataset(MakeMaze(options), d, MakeReward(options), options.gamma);
  std::mt19937_64 rng(seed * 104729 + 3);
  std::shuffle(all.begin(), all.end(), rng);
  const size_t heldout = static_cast<size_t>(std::llround(options.heldout_share * all.size()));
  OfflineData data;
  data.heldout.assign(all.begin(), all.begin() + heldout);
  data.train.assign(all.begin() + heldout, all.end());
  return data;
}

ReplayBuffer::ReplayBuffer(int64_t capacity)
    : capacity_(std::max<int64_t>(capacity, 1)),
      obs_(torch::zeros({capacity_, 2})),
      action_(torch::zeros({capacity_, 2})),
      reward_(torch::zeros({capacity_})),
      next_obs_(torch::zeros({capacity_, 2})),
      done_(torch::zeros({capacity_})),
      mc_(torch::zeros({capacity_})) {}

void ReplayBuffer::Add(const Transition& t) {
  if (size_ >= capacity_) throw std::logic_error("replay buffer full");
  const int64_t i = size_++;
  float* obs = obs_.data_ptr<float>() + 2 * i;
  float* action = action_.data_ptr<float>() + 2 * i;
  float* next = next_obs_.data_ptr<float>() + 2 * i;
  for (int k = 0; k < 2; ++k) obs[k] = t.obs[k], action[k] = t.action[k], next[k] = t.next_obs[k];
  reward_.data_ptr<float>()[i] = t.reward;
  done_.data_ptr<float>()[i] = t.done;
  mc_.data_ptr<float>()[i] = t.mc_return;
}

void ReplayBuffer::AddAll(const std::vector<Transition>& ts) {
  for (const auto& t : ts) Add(t);
}

Batch ReplayBuffer::Gather(const torch::Tensor& indices) const {
  return {obs_.index_select(0, indices), action_.index_select(0, indices), reward_.index_select(0, indices),
          next_obs_.index_select(0, indices), done_.index_select(0, indices), mc_.index_select(0, indices)};
}

Batch ReplayBuffer::Sample(int64_t n, std::mt19937_64& rng) const {
  if (size_ == 0) throw std::logic_error("sampling an empty replay buffer");
  torch::Tensor indices = torch::empty({n}, torch::kLong);
  int64_t* p = indices.data_ptr<int64_t>();
  std::uniform_int_distribution<int64_t> pick(0, size_ - 1);
  for (int64_t i = 0; i < n; ++i) p[i] = pick(rng);
  return Gather(indices);
}

Batch ReplayBuffer::Last(int64_t n) const {
  const int64_t count = std::min(n, size_);
  return Gather(torch::arange(size_ - count, size_, torch::kLong));
}

namespace {

Batch Concat(const Batch& a, const Batch& b) {
  return {torch::cat({a.obs, b.obs}), torch::cat({a.action, b.action}), torch::cat({a.reward, b.reward}),
          torch::cat({a.next_obs, b.next_obs}), torch::cat({a.done, b.done}), torch::cat({a.mc_return, b.mc_return})};
}

}  // namespace

Batch SampleMixed(const ReplayBuffer& online, const ReplayBuffer* offline, double offline_ratio, int64_t n,
                  std::mt19937_64& rng) {
  const int64_t from_offline = offline ? static_cast<int64_t>(std::llround(offline_ratio * n)) : 0;
  if (from_offline == 0) return online.Sample(n, rng);
  if (from_offline >= n) return offline->Sample(n, rng);
  return Concat(offline->Sample(from_offline, rng), online.Sample(n - from_offline, rng));
}

int WarmupSteps(const WsrlOptions& options) {
  return static_cast<int>(std::llround(options.warmup_steps * options.warmup_scale));
}

bool UpdatesAt(int step, int warmup_steps, int batch_size, double offline_ratio) {
  return step > std::max<double>(warmup_steps, batch_size * (1.0 - offline_ratio));
}

PolicyEvaluation EvaluatePolicy(const Agent& agent, const PointMaze& maze, int episodes, int horizon, uint64_t seed) {
  torch::NoGradGuard no_grad;
  std::mt19937_64 rng(seed);
  std::vector<Vec2> positions;
  for (int i = 0; i < episodes; ++i) positions.push_back(maze.SampleStart(rng));
  std::vector<int> active(episodes);
  for (int i = 0; i < episodes; ++i) active[i] = i;
  int successes = 0;
  double total_steps = 0;
  for (int t = 0; t < horizon && !active.empty(); ++t) {
    torch::Tensor obs = torch::empty({static_cast<int64_t>(active.size()), 2});
    float* o = obs.data_ptr<float>();
    for (size_t j = 0; j < active.size(); ++j) {
      const auto ob = maze.Observe(positions[active[j]]);
      o[2 * j] = ob[0], o[2 * j + 1] = ob[1];
    }
    const torch::Tensor actions = agent.DeterministicAction(obs).contiguous();
    const float* a = actions.data_ptr<float>();
    std::vector<int> still;
    for (size_t j = 0; j < active.size(); ++j) {
      const StepResult r = maze.Step(positions[active[j]], {a[2 * j], a[2 * j + 1]});
      positions[active[j]] = r.position;
      if (r.success) ++successes, total_steps += t + 1;
      else still.push_back(active[j]);
    }
    active = std::move(still);
  }
  total_steps += static_cast<double>(active.size()) * horizon;
  return {static_cast<double>(successes) / episodes, total_steps / episodes};
}

double MeanQ(const Agent& agent, const Batch& batch) {
  torch::NoGradGuard no_grad;
  return agent.Q(batch.obs, batch.action).mean().item<double>();
}

std::vector<int> EvaluationSteps(const WsrlOptions& o) {
  std::vector<int> steps = {0};
  for (int s = o.dense_every; s <= std::min(o.dense_until, o.online_steps); s += o.dense_every) steps.push_back(s);
  for (int s = o.eval_every; s <= o.online_steps; s += o.eval_every) {
    if (s > o.dense_until) steps.push_back(s);
  }
  if (steps.back() != o.online_steps) steps.push_back(o.online_steps);
  return steps;
}

namespace {

// A curve under construction: x, y.
struct Curve {
  explicit Curve(std::string name) : label(std::move(name)) {}
  std::string label;
  std::vector<double> x, y;
  void Add(double xv, double yv) { x.push_back(xv), y.push_back(yv); }
  json ToJson() const { return {{"label", label}, {"x", x}, {"y", y}}; }
  // The lowest / highest y at x <= until (the first point included).
  double MinUntil(double until) const { return Extreme(until, [](double a, double b) { return std::min(a, b); }); }
  double MaxUntil(double until) const { return Extreme(until, [](double a, double b) { return std::max(a, b); }); }
  // The mean of the last n points (fewer when the curve is shorter), and of all points.
  double TailMean(size_t n) const {
    const size_t tail = std::min(n, y.size());
    double mean = 0;
    for (size_t i = y.size() - tail; i < y.size(); ++i) mean += y[i] / tail;
    return mean;
  }
  double Mean() const { return TailMean(y.size()); }

 private:
  template <typename Pick>
  double Extreme(double until, Pick pick) const {
    double value = y.front();
    for (size_t i = 0; i < x.size() && x[i] <= until; ++i) value = pick(value, y[i]);
    return value;
  }
};

UpdateOptions MakeUpdateOptions(const WsrlOptions& options, bool cql) {
  UpdateOptions update;
  update.gamma = options.gamma;
  update.tau = options.tau;
  update.cql = cql;
  update.calql = options.calql;
  update.cql_alpha = options.cql_alpha;
  update.cql_samples = options.cql_samples;
  update.max_target_backup = cql && options.max_target_backup;  // an offline (CQL) option; online SAC backs up one action
  return update;
}

// <out_dir>/agent.pt, written under a temporary name and renamed.
void SaveAgent(const Agent& agent, const std::string& out_dir) {
  if (!dist::IsWriter()) return;  // every rank holds the same agent; rank 0 writes it
  util::MakeDirs(out_dir);
  agent.Save(out_dir + "/agent.pt.tmp");
  std::filesystem::rename(out_dir + "/agent.pt.tmp", out_dir + "/agent.pt");
}

constexpr uint64_t kEvalSeed = 20241210;  // one set of evaluation starts for every arm and point

void Progress(const std::string& line) { std::cerr << "[wsrl] " << line << "\n" << std::flush; }

// Data-parallel updates give each rank some rows of every batch.
void CheckBatchCoversRanks(const WsrlOptions& options) {
  if (options.batch_size < dist::Size()) {
    throw util::InputError(util::Location{"", 0, "wsrl.batch_size"},
                           std::to_string(options.batch_size) + " rows cannot be shared by " +
                               std::to_string(dist::Size()) + " ranks");
  }
}

}  // namespace

json RunOffline(const WsrlOptions& options, uint64_t seed, const std::string& out_dir) {
  const auto start = std::chrono::steady_clock::now();
  CheckBatchCoversRanks(options);
  // 1. Maze, dataset, agent.
  const PointMaze maze = MakeMaze(options);
  const OfflineData data = MakeOfflineData(options, seed);
  ReplayBuffer offline(static_cast<int64_t>(data.train.size()));
  offline.AddAll(data.train);
  ReplayBuffer heldout(static_cast<int64_t>(data.heldout.size()));
  heldout.AddAll(data.heldout);
  Agent agent(MakeAgentSpec(options), seed);
  std::mt19937_64 rng(seed * 31 + 1);
  const UpdateOptions update = MakeUpdateOptions(options, true);
  Curve success{"success rate"}, steps{"steps to the goal (horizon when failed)"},
      q_heldout{"mean Q on held-out offline transitions"};
  auto evaluate = [&](int step) {
    const PolicyEvaluation e = EvaluatePolicy(agent, maze, options.eval_episodes, options.horizon, kEvalSeed);
    success.Add(step, e.success);
    steps.Add(step, e.steps);
    if (heldout.size() > 0) q_heldout.Add(step, MeanQ(agent, heldout.Last(options.q_probe)));
    Progress("offline " + std::to_string(step) + "/" + std::to_string(options.offline_steps) + ": success " +
             std::to_string(success.y.back()) + ", Q held-out " + std::to_string(q_heldout.y.empty() ? 0 : q_heldout.y.back()));
  };
  // 2–3. Cal-QL updates (critic with the CQL term, then actor and temperature), evaluated along the way.
  evaluate(0);
  UpdateStats last;
  for (int step = 1; step <= options.offline_steps; ++step) {
    const Batch batch = offline.Sample(options.batch_size, rng);
    last = CriticUpdate(agent, batch, update);
    const UpdateStats actor = ActorUpdate(agent, batch);
    last.actor_loss = actor.actor_loss, last.temperature = actor.temperature, last.entropy = actor.entropy;
    if (step % options.offline_eval_every == 0 || step == options.offline_steps) evaluate(step);
  }
  // 4. Save π_pre and Q_pre (with the optimizer states the online phase keeps).
  SaveAgent(agent, out_dir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long long successes_in_data = 0;
  for (const auto& t : data.train) successes_in_data += t.done > 0 ? 1 : 0;
  return {{"name", "wsrl-offline"},
          {"title", "WSRL's offline pre-training (Cal-QL) on the maze"},
          {"x_label", "offline updates"},
          {"curves", {{"success", success.ToJson()}, {"steps", steps.ToJson()}, {"q_heldout", q_heldout.ToJson()}}},
          {"scalars",
           {{"final_success", success.y.back()},
            {"final_steps", steps.y.back()},
            {"offline_transitions", data.train.size()},
            {"goal_transitions", successes_in_data},
            {"final_td_loss", last.td_loss},
            {"final_cql_penalty", last.cql_penalty},
            {"seconds", seconds},
            {"updates_per_second", options.offline_steps / std::max(seconds, 1e-9)}}}};
}

json RunOnline(const WsrlOptions& options, uint64_t seed, const std::string& init_agent, const std::string& out_dir,
               const std::string& arm) {
  const auto start = std::chrono::steady_clock::now();
  CheckBatchCoversRanks(options);
  // 1. Maze, the offline data (held-out part: the Q diagnostic; training part: retention arms only), agent.
  const PointMaze maze = MakeMaze(options);
  const OfflineData data = MakeOfflineData(options, seed);
  Agent agent(MakeAgentSpec(options), seed + 1000003);
  if (options.init == "pretrained") agent.Load(init_agent);
  ReplayBuffer heldout(static_cast<int64_t>(data.heldout.size()));
  heldout.AddAll(data.heldout);
  // 2. Buffers: WSRL's online buffer starts empty; retention appends the offline data or samples it per batch.
  ReplayBuffer online(options.online_steps + (options.append_offline ? static_cast<int64_t>(data.train.size()) : 0));
  if (options.append_offline) online.AddAll(data.train);
  ReplayBuffer offline(options.offline_ratio > 0 ? static_cast<int64_t>(data.train.size()) : 1);
  if (options.offline_ratio > 0) offline.AddAll(data.train);
  const UpdateOptions update = MakeUpdateOptions(options, false);
  const RewardScale reward = MakeReward(options);
  std::mt19937_64 rng(seed * 2654435761ULL + 7);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  const int warmup = WarmupSteps(options);
  Curve success{"success rate"}, steps{"steps to the goal (horizon when failed)"},
      q_offline{"mean Q on held-out offline transitions"},
      q_online{"mean Q on the newest online transitions"};
  const std::vector<int> eval_steps = EvaluationSteps(options);
  size_t next_eval = 0;
  auto evaluate = [&](int step) {
    const PolicyEvaluation e = EvaluatePolicy(agent, maze, options.eval_episodes, options.horizon, kEvalSeed);
    success.Add(step, e.success);
    steps.Add(step, e.steps);
    q_offline.Add(step, MeanQ(agent, heldout.Last(options.q_probe)));
    const int64_t fresh = online.size() - (options.append_offline ? static_cast<int64_t>(data.train.size()) : 0);
    if (fresh > 0) q_online.Add(step, MeanQ(agent, online.Last(std::min<int64_t>(fresh, options.q_probe))));
    Progress(arm + " " + std::to_string(step) + "/" + std::to_string(options.online_steps) + ": success " +
             std::to_string(success.y.back()) + ", Q offline " + std::to_string(q_offline.y.back()));
  };
  evaluate(0);
  ++next_eval;
  Vec2 position = maze.SampleStart(rng);
  int episode_step = 0, updates = 0, first_update = 0;
  for (int step = 1; step <= options.online_steps; ++step) {
    // 3. Act: during the warm-up the pre-trained policy (or uniform actions); then the current policy.
    const std::array<float, 2> obs = maze.Observe(position);
    Vec2 action;
    if (step <= warmup && options.warmup_policy == "random") {
      const double ax = uniform(rng);
      action = {ax, uniform(rng)};
    } else {
      torch::NoGradGuard no_grad;
      const torch::Tensor a = agent.Sample(torch::tensor({obs[0], obs[1]}).view({1, 2})).action.contiguous();
      action = {a.data_ptr<float>()[0], a.data_ptr<float>()[1]};
    }
    // 4. Step the maze and store the transition; reset at the goal or the horizon.
    const StepResult r = maze.Step(position, action);
    Transition t;
    t.obs = obs;
    t.action = {static_cast<float>(action[0]), static_cast<float>(action[1])};
    t.next_obs = maze.Observe(r.position);
    t.reward = static_cast<float>(reward(r.success));
    t.done = r.success ? 1.0f : 0.0f;
    online.Add(t);
    position = r.position;
    if (r.success || ++episode_step >= options.horizon) {
      position = maze.SampleStart(rng);
      episode_step = 0;
    }
    // 5. Past the gate: UTD critic updates, then one actor and temperature update (WSRL's update_high_utd).
    if (UpdatesAt(step, warmup, options.batch_size, options.offline_ratio)) {
      if (first_update == 0) first_update = step;
      Batch batch;
      for (int u = 0; u < options.utd; ++u) {
        batch = SampleMixed(online, &offline, options.offline_ratio, options.batch_size, rng);
        CriticUpdate(agent, batch, update);
      }
      ActorUpdate(agent, batch);
      ++updates;
    }
    // 6. Evaluate on the schedule (dense after the switch).
    if (next_eval < eval_steps.size() && step == eval_steps[next_eval]) {
      evaluate(step);
      ++next_eval;
    }
  }
  SaveAgent(agent, out_dir);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Scalars: the success at the switch, the lowest success within the dense window (the dip), the final
  // success (mean of the last three evaluations) and the mean over all evaluations (area under the curve).
  const double dip_min = success.MinUntil(options.dense_until);
  return {{"name", "wsrl-control"},
          {"title", "WSRL on the point maze: online fine-tuning without retained offline data"},
          {"arm", arm},
          {"x_label", "online environment steps (warm-up included)"},
          {"switch_x", 0},
          {"curves", {{"success", success.ToJson()}, {"steps", steps.ToJson()}, {"q_offline", q_offline.ToJson()},
                      {"q_online", q_online.ToJson()}}},
          {"scalars",
           {{"success_at_switch", success.y.front()},
            {"min_success_early", dip_min},
            {"dip", success.y.front() - dip_min},
            {"final_success", success.TailMean(3)},
            {"mean_success", success.Mean()},
            {"steps_at_switch", steps.y.front()},
            {"steps_max_early", steps.MaxUntil(options.dense_until)},
            {"mean_steps", steps.Mean()},
            {"final_steps", steps.TailMean(3)},
            {"q_offline_at_switch", q_offline.y.front()},
            {"q_offline_min_early", q_offline.MinUntil(options.dense_until)},
            {"warmup_steps", warmup},
            {"first_update_step", first_update},
            {"updates", updates},
            {"seconds", seconds}}},
          {"scalar_labels",
           {{"success_at_switch", "success at the switch"},
            {"min_success_early", "lowest success in the first " + std::to_string(options.dense_until) + " steps"},
            {"dip", "dip (switch − lowest early)"},
            {"final_success", "final success (last 3 evaluations)"},
            {"mean_success", "mean success over all evaluations"},
            {"steps_at_switch", "steps to the goal at the switch"},
            {"steps_max_early", "most steps to the goal in the first " + std::to_string(options.dense_until) + " steps"},
            {"mean_steps", "mean steps to the goal over all evaluations"},
            {"final_steps", "final steps to the goal (last 3 evaluations)"},
            {"q_offline_at_switch", "Q on held-out offline data at the switch"},
            {"q_offline_min_early", "lowest early Q on held-out offline data"},
            {"first_update_step", "first update at step (after max(warm-up, batch) transitions; 0 = none)"}}}};
}

}  // namespace trainers::wsrl
