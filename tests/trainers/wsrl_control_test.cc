// WSRL's control study (trainers/wsrl/control): the maze's dynamics, walls and reward; Monte-Carlo
// returns; the losses of SAC and Cal-QL on hand-made batches; the ensemble as batched products; REDQ's
// min-of-2 member sampling; the warm-up gate; the retention sampler; save/load; the methods' options.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <set>

#include <torch/torch.h>

#include "harness/util/error.h"
#include "trainers/methods/registry.h"
#include "trainers/wsrl/control/study.h"

namespace {

namespace fs = std::filesystem;
using namespace trainers::wsrl;

std::string TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("wsrl_control_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

float Item(const torch::Tensor& t) { return t.item<float>(); }

TEST(Maze, MovesByStepSizeTimesTheClippedAction) {
  const PointMaze maze(NamedMaze("open"));  // a 3×3 room: cells (1..3, 1..3)
  const StepResult r = maze.Step({2.0, 2.0}, {0.5, -3.0});
  EXPECT_NEAR(r.position[0], 2.1, 1e-12);  // 0.2 · 0.5
  EXPECT_NEAR(r.position[1], 1.8, 1e-12);  // 0.2 · clip(−3) = −0.2
  EXPECT_FALSE(r.success);
}

TEST(Maze, WallsBlockAndTheMoveSlidesAlongThem) {
  const PointMaze maze(NamedMaze("medium"));
  // Row 0 is wall: moving up from y = 1.1 would reach y = 0.9.
  StepResult r = maze.Step({1.5, 1.1}, {0.0, -1.0});
  EXPECT_NEAR(r.position[0], 1.5, 1e-12);
  EXPECT_NEAR(r.position[1], 1.1, 1e-12);
  // Diagonal into the wall: the x part is kept (slides right).
  r = maze.Step({1.5, 1.1}, {1.0, -1.0});
  EXPECT_NEAR(r.position[0], 1.7, 1e-12);
  EXPECT_NEAR(r.position[1], 1.1, 1e-12);
  // Cell (2, 1) is wall: moving down from (1.5, 1.9) is blocked in y and x is 0: stays.
  r = maze.Step({1.5, 1.9}, {0.0, 1.0});
  EXPECT_NEAR(r.position[1], 1.9, 1e-12);
  EXPECT_TRUE(maze.Blocked({-0.1, 3.0}));
  EXPECT_TRUE(maze.Blocked({0.5, 0.5}));
  EXPECT_FALSE(maze.Blocked({1.5, 1.5}));
}

TEST(Maze, RewardOnlyWithinTheGoalRadius) {
  const PointMaze maze(NamedMaze("medium"));  // G at cell (5, 1): centre (1.5, 5.5)
  EXPECT_FALSE(maze.Step({1.5, 4.6}, {0.0, 1.0}).success);  // ends at 4.8: 0.7 away
  EXPECT_TRUE(maze.Step({1.5, 4.9}, {0.0, 1.0}).success);   // ends at 5.1: 0.4 away
  const RewardScale antmaze{10.0, -5.0};
  EXPECT_EQ(antmaze(true), 5.0);
  EXPECT_EQ(antmaze(false), -5.0);
  const auto o = maze.Observe({3.5, 3.5});
  EXPECT_FLOAT_EQ(o[0], 0.0f);
  EXPECT_FLOAT_EQ(o[1], 0.0f);
}

TEST(Maze, TheTestGoalIsSixteenMovesFromTheStart) {
  const PointMaze maze(NamedMaze("medium"));
  // S (1,1) → (1,5) → (5,5) → (5,3) → (3,3) → (3,1) → (5,1): 4 + 4 + 2 + 2 + 2 + 2.
  EXPECT_EQ(maze.Distance(maze.CellOf(maze.start()), maze.CellOf(maze.goal())), 16);
  EXPECT_EQ(maze.Distance({1, 1}, {1, 1}), 0);
  EXPECT_EQ(maze.Distance({1, 1}, {0, 0}), -1);
}

TEST(MonteCarlo, ReturnsAreDiscountedSumsAndATruncatedTailNeverReachesTheGoal) {
  const auto r = MonteCarloReturns({-5, -5, 5}, true, 0.5, -5);
  EXPECT_FLOAT_EQ(r[2], 5.0f);
  EXPECT_FLOAT_EQ(r[1], -2.5f);    // −5 + 0.5·5
  EXPECT_FLOAT_EQ(r[0], -6.25f);   // −5 + 0.5·(−2.5)
  // Truncated: the tail is −5/(1 − 0.5) = −10, the fixed point of failing forever.
  const auto t = MonteCarloReturns({-5, -5}, false, 0.5, -5);
  EXPECT_FLOAT_EQ(t[1], -10.0f);
  EXPECT_FLOAT_EQ(t[0], -10.0f);
}

TEST(Dataset, SeededMixedQualityWithConsistentReturns) {
  WsrlOptions o;
  o.dataset_episodes = 60;
  const OfflineData a = MakeOfflineData(o, 3), b = MakeOfflineData(o, 3), c = MakeOfflineData(o, 4);
  ASSERT_EQ(a.train.size(), b.train.size());
  for (size_t i = 0; i < a.train.size(); ++i) ASSERT_EQ(a.train[i].mc_return, b.train[i].mc_return);
  EXPECT_NE(a.train.front().obs, c.train.front().obs);
  const size_t total = a.train.size() + a.heldout.size();
  EXPECT_EQ(a.heldout.size(), static_cast<size_t>(std::llround(0.1 * total)));
  // Unshuffled, each step's return is its reward plus γ times the next one's.
  DatasetOptions d;
  d.episodes = 5;
  const PointMaze maze(NamedMaze("medium"));
  const auto data = BehaviourDataset(maze, d, {10, -5}, 0.99);
  for (size_t i = 0; i + 1 < static_cast<size_t>(d.episode_steps) && i + 1 < data.size(); ++i) {
    if (data[i].done > 0) break;
    EXPECT_NEAR(data[i].mc_return, data[i].reward + 0.99 * data[i + 1].mc_return, 1e-3);
  }
}

TEST(Losses, TdTargetTakesTheMinimumOfTheTwoChosenMembers) {
  const auto next_q = torch::tensor({{1.0f, 5.0f}, {3.0f, 2.0f}, {0.0f, 9.0f}});  // E = 3, B = 2
  const auto y = TdTarget(next_q, {0, 1}, torch::tensor({1.0f, -1.0f}), torch::tensor({0.0f, 1.0f}), 0.9);
  EXPECT_FLOAT_EQ(Item(y[0]), 1.9f);   // 1 + 0.9·min(1, 3)
  EXPECT_FLOAT_EQ(Item(y[1]), -1.0f);  // terminal
  const auto y2 = TdTarget(next_q, {0, 2}, torch::tensor({0.0f, 0.0f}), torch::tensor({0.0f, 0.0f}), 1.0);
  EXPECT_FLOAT_EQ(Item(y2[0]), 0.0f);  // min(1, 0)
  EXPECT_FLOAT_EQ(Item(y2[1]), 5.0f);  // min(5, 9)
}

TEST(Losses, MaxBackupTakesTheBestSampledActionOfTheMembersMinimum) {
  // E = 3, B = 1, n = 3 next actions; members 0 and 1: min = (1, 0, 2), max over actions = 2.
  const auto next_q = torch::tensor({{{1.0f, 4.0f, 2.0f}}, {{3.0f, 0.0f, 5.0f}}, {{-9.0f, -9.0f, -9.0f}}});
  const auto y = MaxBackupTarget(next_q, {0, 1}, torch::tensor({0.5f}), torch::tensor({0.0f}), 0.9);
  EXPECT_FLOAT_EQ(Item(y[0]), 0.5f + 0.9f * 2.0f);
  const auto terminal = MaxBackupTarget(next_q, {0, 1}, torch::tensor({0.5f}), torch::tensor({1.0f}), 0.9);
  EXPECT_FLOAT_EQ(Item(terminal[0]), 0.5f);
}

TEST(Losses, TdLossIsTheMeanSquaredErrorOverMembersAndBatch) {
  const auto q = torch::tensor({{1.0f, 2.0f}, {3.0f, 4.0f}});
  EXPECT_FLOAT_EQ(Item(TdLoss(q, torch::tensor({1.0f, 1.0f}))), 3.5f);  // (0 + 1 + 4 + 9) / 4
}

TEST(Losses, CalQlLowerBoundsThePolicyActionsByTheMcReturn) {
  auto t = [](float v) { return torch::full({1, 1, 1}, v); };
  const auto q_data = torch::zeros({1, 1});
  const auto log_cur = torch::full({1, 1}, -1.0f), log_next = torch::full({1, 1}, 0.5f);
  const auto mc = torch::full({1}, 3.0f);
  const double rand_term = 1.0 - 2.0 * std::log(0.5);  // Q = 1 minus the uniform log-density on [−1, 1]²
  // Cal-QL: max(0, 3) + 1 = 4 and max(2, 3) − 0.5 = 2.5.
  const double calql = std::log(std::exp(rand_term) + std::exp(4.0) + std::exp(2.5));
  EXPECT_NEAR(Item(CqlPenalty(q_data, t(1), t(0), log_cur, t(2), log_next, mc, 2, true)), calql, 1e-5);
  // CQL: 0 + 1 = 1 and 2 − 0.5 = 1.5.
  const double cql = std::log(std::exp(rand_term) + std::exp(1.0) + std::exp(1.5));
  EXPECT_NEAR(Item(CqlPenalty(q_data, t(1), t(0), log_cur, t(2), log_next, mc, 2, false)), cql, 1e-5);
  // Minus the data action's Q.
  EXPECT_NEAR(Item(CqlPenalty(torch::full({1, 1}, 1.0f), t(1), t(0), log_cur, t(2), log_next, mc, 2, false)), cql - 1, 1e-5);
}

TEST(Losses, ActorAndTemperature) {
  const auto q_pi = torch::tensor({{1.0f, 3.0f}, {3.0f, 5.0f}});  // mean over members: (2, 4)
  const auto log_pi = torch::tensor({-1.0f, 0.5f});
  // (0.5·(−1) − 2 + 0.5·0.5 − 4) / 2
  EXPECT_FLOAT_EQ(Item(ActorLoss(q_pi, log_pi, torch::tensor(0.5f))), -3.125f);
  // α = 2, entropy terms −log π − H̄ with H̄ = −2: (1 + 2, 3 + 2), mean 4.
  EXPECT_FLOAT_EQ(Item(TemperatureLoss(torch::tensor(std::log(2.0f)), torch::tensor({-1.0f, -3.0f}), -2.0)), 8.0f);
}

TEST(Losses, TanhGaussianLogProbHasTheSquashCorrection) {
  const auto u = torch::tensor({{0.3f}}), mean = torch::tensor({{0.1f}}), log_std = torch::tensor({{std::log(0.5f)}});
  const double z = (0.3 - 0.1) / 0.5;
  const double expected = -0.5 * z * z - std::log(0.5) - 0.5 * std::log(2 * M_PI) - std::log(1 - std::pow(std::tanh(0.3), 2));
  EXPECT_NEAR(Item(TanhGaussianLogProb(u, mean, log_std)[0]), expected, 1e-5);
}

TEST(Ensemble, BatchedProductEqualsEachMemberAlone) {
  at::Generator gen = at::detail::createCPUGenerator(5);
  const EnsembleMlp net(3, 4, 8, 2, 1, gen);
  const auto x = torch::randn({6, 4}, gen);
  const auto out = net.Forward(x);  // [3, 6, 1]
  ASSERT_EQ(out.sizes(), (std::vector<int64_t>{3, 6, 1}));
  const auto p = net.Parameters();  // per layer: w, b, (gain, bias)
  for (int64_t e = 0; e < 3; ++e) {
    torch::Tensor h = x;
    h = torch::relu(torch::layer_norm(torch::matmul(h, p[0][e]) + p[1][e], {8}) * p[2][e] + p[3][e]);
    h = torch::relu(torch::layer_norm(torch::matmul(h, p[4][e]) + p[5][e], {8}) * p[6][e] + p[7][e]);
    h = torch::matmul(h, p[8][e]) + p[9][e];
    EXPECT_TRUE(torch::allclose(out[e], h, 1e-5, 1e-6)) << "member " << e;
  }
  // The same with a per-member input [E, B, in].
  EXPECT_TRUE(torch::allclose(net.Forward(x.unsqueeze(0).expand({3, 6, 4}).contiguous()), out, 1e-5, 1e-6));
}

// Gradients through the ensemble (its CPU path fuses each hidden layer's bias, LayerNorm, gain, bias and
// ReLU, and multiplies a shared input by all members at once) equal those of the per-member LibTorch
// expression: parameters and the input (the actor's loss differentiates Q through the action).
TEST(Ensemble, GradientsEqualThePerMemberExpression) {
  at::Generator gen = at::detail::createCPUGenerator(6);
  const EnsembleMlp net(3, 4, 8, 2, 1, gen);
  const auto p = net.Parameters();
  const auto x = torch::randn({70, 4}, gen).requires_grad_(true);  // past one 64-row chunk
  const auto up = torch::randn({3, 70, 1}, gen);
  (net.Forward(x) * up).sum().backward();
  std::vector<torch::Tensor> fused;
  for (const auto& t : p) fused.push_back(t.grad().clone());
  fused.push_back(x.grad().clone());
  for (const auto& t : p) t.mutable_grad() = torch::Tensor();
  x.mutable_grad() = torch::Tensor();
  torch::Tensor total = torch::zeros({});
  for (int64_t e = 0; e < 3; ++e) {
    torch::Tensor h = x;
    h = torch::relu(torch::layer_norm(torch::matmul(h, p[0][e]) + p[1][e], {8}) * p[2][e] + p[3][e]);
    h = torch::relu(torch::layer_norm(torch::matmul(h, p[4][e]) + p[5][e], {8}) * p[6][e] + p[7][e]);
    total = total + ((torch::matmul(h, p[8][e]) + p[9][e]) * up[e]).sum();
  }
  total.backward();
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_TRUE(torch::allclose(fused[i], p[i].grad(), 1e-4, 1e-5)) << "parameter " << i;
  }
  EXPECT_TRUE(torch::allclose(fused.back(), x.grad(), 1e-4, 1e-5));
}

TEST(Ensemble, TargetMembersAreTwoDistinctUniformDraws) {
  AgentSpec spec;
  spec.ensemble = 4;
  trainers::wsrl::Agent agent(spec, 1);
  std::map<std::pair<int64_t, int64_t>, int> pairs;
  for (int i = 0; i < 6000; ++i) {
    const auto m = agent.TargetMembers();
    ASSERT_NE(m[0], m[1]);
    ASSERT_GE(std::min(m[0], m[1]), 0);
    ASSERT_LT(std::max(m[0], m[1]), 4);
    pairs[{std::min(m[0], m[1]), std::max(m[0], m[1])}]++;
  }
  ASSERT_EQ(pairs.size(), 6u);  // every unordered pair of 4 members
  for (const auto& [pair, count] : pairs) EXPECT_NEAR(count, 1000, 150);
}

TEST(Online, TheWarmUpGate) {
  EXPECT_FALSE(UpdatesAt(1000, 1000, 256, 0.0));
  EXPECT_TRUE(UpdatesAt(1001, 1000, 256, 0.0));
  EXPECT_FALSE(UpdatesAt(256, 0, 256, 0.0));  // no warm-up: the first full batch
  EXPECT_TRUE(UpdatesAt(257, 0, 256, 0.0));
  EXPECT_FALSE(UpdatesAt(128, 0, 256, 0.5));  // half of each batch offline
  EXPECT_TRUE(UpdatesAt(129, 0, 256, 0.5));
  WsrlOptions o;
  o.warmup_steps = 1000;
  o.warmup_scale = 0.2;
  EXPECT_EQ(WarmupSteps(o), 200);
}

TEST(Online, RetentionSamplerTakesTheOfflineShareOfEveryBatch) {
  ReplayBuffer online(20), offline(20);
  for (int i = 0; i < 20; ++i) {
    Transition t;
    t.reward = 1;
    online.Add(t);
    t.reward = 0;
    offline.Add(t);
  }
  std::mt19937_64 rng(1);
  EXPECT_FLOAT_EQ(Item(SampleMixed(online, &offline, 0.5, 10, rng).reward.sum()), 5.0f);
  EXPECT_FLOAT_EQ(Item(SampleMixed(online, &offline, 0.0, 10, rng).reward.sum()), 10.0f);
  EXPECT_FLOAT_EQ(Item(SampleMixed(online, &offline, 1.0, 10, rng).reward.sum()), 0.0f);
  EXPECT_FLOAT_EQ(Item(SampleMixed(online, nullptr, 0.5, 10, rng).reward.sum()), 10.0f);
  EXPECT_EQ(online.Last(3).reward.size(0), 3);
}

// A tiny study: the open room, few updates.
WsrlOptions Tiny() {
  WsrlOptions o;
  o.maze = "open";
  o.horizon = 30;
  o.dataset_episodes = 20;
  o.episode_steps = 20;
  o.ensemble = 2;
  o.critic_hidden = 16;
  o.actor_hidden = 16;
  o.batch_size = 16;
  o.offline_steps = 20;
  o.offline_eval_every = 10;
  o.online_steps = 60;
  o.warmup_steps = 20;
  o.eval_episodes = 4;
  o.eval_every = 20;
  o.dense_until = 20;
  o.dense_every = 10;
  o.q_probe = 50;
  return o;
}

TEST(Online, NoUpdateBeforeTheWarmUpEnds) {
  const std::string dir = TempDir("gate");
  const WsrlOptions o = Tiny();
  RunOffline(o, 1, dir + "/offline");
  WsrlOptions all_warmup = o;
  all_warmup.warmup_steps = o.online_steps;
  const auto study = RunOnline(all_warmup, 1, dir + "/offline/agent.pt", dir + "/online", "gate");
  EXPECT_EQ(study["scalars"]["updates"], 0);
  EXPECT_EQ(study["scalars"]["first_update_step"], 0);
  // The saved agent is the pre-trained one, untouched.
  trainers::wsrl::Agent pre(MakeAgentSpec(o), 9), after(MakeAgentSpec(o), 10);
  pre.Load(dir + "/offline/agent.pt");
  after.Load(dir + "/online/agent.pt");
  const auto x = torch::rand({5, 2});
  EXPECT_TRUE(torch::equal(pre.DeterministicAction(x), after.DeterministicAction(x)));
  EXPECT_TRUE(torch::equal(pre.Q(x, x), after.Q(x, x)));
  // With K = 20 of 60 steps (batch 16), the steps 21..60 update.
  const auto updated = RunOnline(o, 1, dir + "/offline/agent.pt", dir + "/online2", "wsrl");
  EXPECT_EQ(updated["scalars"]["updates"], 40);
  EXPECT_EQ(updated["scalars"]["first_update_step"], 21);
  // A warm-up shorter than the batch: the gate waits for a full batch (WSRL's max(K, batch)).
  WsrlOptions short_warmup = o;
  short_warmup.warmup_steps = 5;
  const auto gated = RunOnline(short_warmup, 1, dir + "/offline/agent.pt", dir + "/online3", "wsrl");
  EXPECT_EQ(gated["scalars"]["first_update_step"], 17);
  EXPECT_EQ(gated["scalars"]["updates"], 44);
  EXPECT_EQ(updated["curves"]["success"]["x"], nlohmann::json({0, 10, 20, 40, 60}));
}

TEST(Study, RunsAreDeterministicAndSaveLoadRoundTrips) {
  const std::string dir = TempDir("determinism");
  const WsrlOptions o = Tiny();
  const auto a = RunOffline(o, 2, dir + "/a");
  const auto b = RunOffline(o, 2, dir + "/b");
  EXPECT_EQ(a["curves"], b["curves"]);
  EXPECT_EQ(a["scalars"]["final_td_loss"], b["scalars"]["final_td_loss"]);
  const auto online_a = RunOnline(o, 2, dir + "/a/agent.pt", dir + "/oa", "x");
  const auto online_b = RunOnline(o, 2, dir + "/b/agent.pt", dir + "/ob", "x");
  EXPECT_EQ(online_a["curves"], online_b["curves"]);
  // Loading restores the optimizer state too: one more identical update gives identical weights.
  trainers::wsrl::Agent p(MakeAgentSpec(o), 3), q(MakeAgentSpec(o), 3);
  p.Load(dir + "/oa/agent.pt");
  q.Load(dir + "/oa/agent.pt");
  const OfflineData data = MakeOfflineData(o, 2);
  ReplayBuffer buffer(static_cast<int64_t>(data.train.size()));
  buffer.AddAll(data.train);
  std::mt19937_64 rng(4);
  const Batch batch = buffer.Sample(16, rng);
  UpdateOptions u;
  CriticUpdate(p, batch, u);
  CriticUpdate(q, batch, u);
  const auto x = torch::rand({5, 2});
  EXPECT_TRUE(torch::equal(p.Q(x, x), q.Q(x, x)));
}

TEST(Methods, RegisteredWithOneOptionsSectionAndCheckedOptions) {
  for (const char* name : {"wsrl-offline", "wsrl", "wsrl-no-warmup", "wsrl-random-warmup", "wsrl-retention",
                           "wsrl-append", "wsrl-warmup-small", "wsrl-warmup-large", "rlpd", "sac-scratch"}) {
    const auto& m = trainers::FindMethod(name);
    EXPECT_EQ(m.options_section(), "wsrl") << name;
    EXPECT_FALSE(m.TrainsOn("gsm8k", m.ResolveOptions(nlohmann::json::object(), "c.json"))) << name;
  }
  const auto& no_warmup = trainers::FindMethod("wsrl-no-warmup");
  EXPECT_EQ(no_warmup.ResolveOptions({{"warmup_steps", 500}}, "c.json")["warmup_steps"], 0);  // the arm's own value
  EXPECT_EQ(trainers::FindMethod("wsrl").ResolveOptions({{"warmup_steps", 500}}, "c.json")["warmup_steps"], 500);
  EXPECT_EQ(trainers::FindMethod("wsrl-retention").ResolveOptions(nullptr, "c.json")["offline_ratio"], 0.5);
  try {
    trainers::FindMethod("wsrl").ResolveOptions({{"maze", "huge"}}, "c.json");
    FAIL() << "expected an InputError";
  } catch (const util::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("wsrl.maze"), std::string::npos) << e.what();
  }
  EXPECT_THROW(trainers::FindMethod("wsrl").ResolveOptions({{"warmup_steps", 50}, {"online_steps", 10}}, "c.json"),
               util::InputError);
  // The offline step's key ignores the online options.
  const auto& offline = trainers::FindMethod("wsrl-offline");
  EXPECT_EQ(offline.TrainingOptions(offline.ResolveOptions({{"utd", 4}}, "c.json")),
            offline.TrainingOptions(offline.ResolveOptions({{"utd", 1}}, "c.json")));
  EXPECT_NE(offline.TrainingOptions(offline.ResolveOptions({{"cql_alpha", 1.0}}, "c.json")),
            offline.TrainingOptions(offline.ResolveOptions(nullptr, "c.json")));
  // Every field the offline phase reads keys it (q_probe sets its held-out Q curve).
  EXPECT_NE(offline.TrainingOptions(offline.ResolveOptions({{"q_probe", 10}}, "c.json")),
            offline.TrainingOptions(offline.ResolveOptions(nullptr, "c.json")));
  EXPECT_EQ(offline.TrainingOptions(offline.ResolveOptions({{"warmup_steps", 10}, {"dense_every", 7}}, "c.json")),
            offline.TrainingOptions(offline.ResolveOptions(nullptr, "c.json")));
}

}  // namespace
