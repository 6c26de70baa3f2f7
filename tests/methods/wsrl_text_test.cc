// WSRL on text: the value regression to Monte-Carlo returns equals a hand-computed MSE, the offline data
// carry the task's own rewards with a probe of held-out problems, the offline checkpoint holds a value head
// and its data, the warm-up gate leaves the policy bit for bit and moves only the value head, retention adds
// exactly coef x the offline NLL to the loss, and the methods and options are registered and validated.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <torch/torch.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/methods/registry.h"
#include "trainers/reft/reft.h"
#include "trainers/rl/offline_data.h"
#include "trainers/rl/ppo_math.h"
#include "trainers/rl/rollout.h"
#include "trainers/sft/sft_trainer.h"
#include "trainers/wsrl/text/wsrl_text.h"
#include "tiny_config.h"

namespace {

namespace fs = std::filesystem;

fs::path TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("wsrl_text_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

const trainers::RuntimeConfig kRuntime{"cpu", "float32", 1};

// Whether every weight but the value head is the same, bit for bit.
bool SamePolicy(trainers::LlamaForCausalLM& a, trainers::LlamaForCausalLM& b) {
  auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) {
    if (p.key().rfind("value_head.", 0) == 0) continue;
    if (!pb.contains(p.key()) || !torch::equal(p.value(), pb[p.key()])) return false;
  }
  return true;
}

trainers::SftConfig TinyConfig() {
  return test_support::TinySftConfig({{"grad_accum", 1}, {"max_steps", 6}, {"warmup_steps", 1}, {"log_every", 1},
                                      {"eval_max_new_tokens", 12}});
}

TEST(ValueRegressionLoss, HandComputedMse) {
  // Row 0 (return 1): values 0.5, 0.2 and a padded 9; row 1 (return 0.1): 0, 1, 1.
  const at::Tensor values = torch::tensor({{0.5f, 0.2f, 9.0f}, {0.0f, 1.0f, 1.0f}});
  const at::Tensor returns = torch::tensor({1.0f, 0.1f});
  const at::Tensor mask = torch::tensor({{1.0f, 1.0f, 0.0f}, {1.0f, 1.0f, 1.0f}});
  // Squared errors: 0.25, 0.64 | 0.01, 0.81, 0.81. Token mean 2.52 / 5; per-row means 0.445 and 1.63 / 3.
  using trainers::rl::LossAggregation;
  EXPECT_NEAR(trainers::rl::ValueRegressionLoss(values, returns, mask, LossAggregation::kTokenMean).item<double>(),
              0.504, 1e-6);
  EXPECT_NEAR(trainers::rl::ValueRegressionLoss(values, returns, mask, LossAggregation::kSeqMeanTokenMean).item<double>(),
              (0.445 + 1.63 / 3) / 2, 1e-6);
}

TEST(WeightedNll, WeightNormalisedTokenMean) {
  // Row 0 (weight 1): NLL 1 + 2 over 2 tokens; row 1 (weight 0.5): NLL 3 over 1 token (the 4 is padding).
  const at::Tensor logp = torch::tensor({{-1.0f, -2.0f}, {-3.0f, -4.0f}});
  const at::Tensor mask = torch::tensor({{1.0f, 1.0f}, {1.0f, 0.0f}});
  EXPECT_NEAR(trainers::rl::WeightedNll(logp, mask, torch::tensor({1.0f, 0.5f})).item<double>(), 4.5 / 2.5, 1e-6);
  EXPECT_NEAR(trainers::rl::WeightedNll(logp, mask, torch::tensor({0.0f, 0.0f})).item<double>(), 0.0, 1e-9);
}

TEST(OfflinePolicyWeight, RewardWeightedFilteredUniform) {
  struct Case {
    std::string loss;
    double reward, weight;
  };
  for (const Case& c : std::vector<Case>{{"reward-weighted", 1.0, 1.0}, {"reward-weighted", 0.1, 0.1},
                                         {"reward-weighted", 0.0, 0.0}, {"filtered", 1.0, 1.0},
                                         {"filtered", 0.1, 0.0}, {"uniform", 0.0, 1.0}}) {
    EXPECT_DOUBLE_EQ(trainers::OfflinePolicyWeight(c.loss, c.reward), c.weight) << c.loss << " " << c.reward;
  }
}

// One warm-up SFT and one offline pre-training shared by the tests below.
class WsrlText : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = new fs::path(TempDir("suite"));
    trainers::SftConfig config = TinyConfig();
    trainers::RunSft(config, (*root_ / "warm").string());
    config.init_checkpoint = (*root_ / "warm" / "checkpoint").string();
    config.max_steps = 3;
    config.batch_size = 8;
    config.lr = 3e-3;
    options_ = new trainers::WsrlTextOfflineOptions();
    options_->probe = 8;
    offline_ = new trainers::WsrlTextOfflineResult(
        trainers::RunWsrlTextOffline(config, *options_, (*root_ / "offline").string()));
  }
  static void TearDownTestSuite() {
    delete offline_;
    delete options_;
    delete root_;
  }
  static std::string warm() { return (*root_ / "warm" / "checkpoint").string(); }
  static fs::path* root_;
  static trainers::WsrlTextOfflineOptions* options_;
  static trainers::WsrlTextOfflineResult* offline_;
};
fs::path* WsrlText::root_ = nullptr;
trainers::WsrlTextOfflineOptions* WsrlText::options_ = nullptr;
trainers::WsrlTextOfflineResult* WsrlText::offline_ = nullptr;

TEST_F(WsrlText, OfflineDataCarryTheTasksRewardsAndAProbeOfHeldOutProblems) {
  const std::string ckpt = offline_->checkpoint_dir;
  const auto train = trainers::rl::ReadTrajectories(ckpt + "/" + trainers::kWsrlOfflineDataFile);
  const auto probe = trainers::rl::ReadTrajectories(ckpt + "/" + trainers::kWsrlOfflineProbeFile);
  // 48 problems, each its expert solution + 2 sub-optimal ones; whole problems go to the probe until >= 8.
  EXPECT_EQ(train.size() + probe.size(), 48u * 3);
  EXPECT_GE(probe.size(), 8u);
  EXPECT_LE(probe.size(), 8u + 2);
  std::set<std::string> train_ids, probe_ids;
  for (const auto& t : train) train_ids.insert(t.id);
  for (const auto& t : probe) probe_ids.insert(t.id);
  for (const auto& id : probe_ids) EXPECT_EQ(train_ids.count(id), 0u) << id;
  int experts = 0, partial = 0;
  for (const auto& t : train) {
    // ReFT's reward from the task's own extractor: 1 right, 0.1 extractable but wrong, 0 none.
    EXPECT_TRUE(t.reward == 1.0 || t.reward == 0.1 || t.reward == 0.0) << t.reward;
    EXPECT_EQ(t.correct, t.reward == 1.0);
    EXPECT_DOUBLE_EQ(t.weight, t.reward);  // reward-weighted: the weight retention reuses
    if (t.source == "expert") {
      ++experts;
      EXPECT_TRUE(t.correct) << t.completion;
    }
    if (t.reward == 0.1) ++partial;
  }
  EXPECT_EQ(experts, static_cast<int>(train_ids.size()));
  EXPECT_GT(partial, 0);  // wrong_rate 0.5: some sub-optimal answers are wrong
  EXPECT_EQ(offline_->summary["trajectories"].get<size_t>() + offline_->summary["dropped_too_long"].get<size_t>(),
            train.size());
}

TEST_F(WsrlText, OfflineCheckpointHasATrainedValueHeadAndLogsItsLosses) {
  EXPECT_EQ(offline_->summary["steps"], 3);
  auto model = trainers::LoadCheckpoint(offline_->checkpoint_dir, kRuntime);
  auto params = model->named_parameters();
  ASSERT_TRUE(params.contains("value_head.weight"));
  // The head learned: not the fresh head the same seed gives on the warm-up.
  auto fresh = trainers::rl::LoadWithValueHead(warm(), kRuntime, TinyConfig().seed);
  EXPECT_FALSE(torch::equal(fresh->named_parameters()["value_head.weight"], params["value_head.weight"]));
  // A head loaded as is, or fresh on demand (the fresh-critic arm) even though the checkpoint has one.
  auto kept = trainers::rl::LoadWithValueHead(offline_->checkpoint_dir, kRuntime, TinyConfig().seed);
  EXPECT_TRUE(torch::equal(kept->named_parameters()["value_head.weight"], params["value_head.weight"]));
  auto reset = trainers::rl::LoadWithValueHead(offline_->checkpoint_dir, kRuntime, TinyConfig().seed, "", true);
  EXPECT_TRUE(torch::equal(reset->named_parameters()["value_head.weight"], fresh->named_parameters()["value_head.weight"]));
  EXPECT_TRUE(SamePolicy(reset, model));
  const auto log = util::ReadJsonLines((*root_ / "offline" / "metrics.jsonl").string());
  ASSERT_EQ(log.size(), 3u);
  for (const char* key : {"loss", "policy_loss", "value_loss", "value_offline", "value_offline_mse"}) {
    EXPECT_TRUE(log[2].value.contains(key)) << key;
  }
  // loss = policy_loss + value_coef (1) * value_loss.
  EXPECT_NEAR(log[0].value["loss"].get<double>(),
              log[0].value["policy_loss"].get<double>() + log[0].value["value_loss"].get<double>(), 1e-5);
}

// A killed offline run rerun into its directory ends with the weights and logged numbers of a straight run,
// and only the finished run writes the trajectory files.
TEST_F(WsrlText, OfflineRunResumesToTheSameNumbers) {
  trainers::SftConfig config = TinyConfig();
  config.init_checkpoint = warm();
  config.max_steps = 3;
  config.batch_size = 8;
  const auto straight = TempDir("offline_straight"), resumed = TempDir("offline_resumed");
  const auto a = trainers::RunWsrlTextOffline(config, *options_, straight.string());
  const auto stopped = trainers::RunWsrlTextOffline(config, *options_, resumed.string(), /*stop_after_steps=*/2);
  EXPECT_FALSE(util::FileExists(stopped.checkpoint_dir + "/" + trainers::kWsrlOfflineDataFile));
  const auto b = trainers::RunWsrlTextOffline(config, *options_, resumed.string());
  EXPECT_TRUE(util::FileExists(b.checkpoint_dir + "/" + trainers::kWsrlOfflineDataFile));
  auto ma = trainers::LoadCheckpoint(a.checkpoint_dir, kRuntime), mb = trainers::LoadCheckpoint(b.checkpoint_dir, kRuntime);
  auto pb = mb->named_parameters();
  for (const auto& p : ma->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  const auto la = util::ReadJsonLines((straight / "metrics.jsonl").string());
  const auto lb = util::ReadJsonLines((resumed / "metrics.jsonl").string());
  ASSERT_EQ(la.size(), 3u);
  ASSERT_EQ(lb.size(), 3u);
  for (size_t i = 0; i < la.size(); ++i) {
    for (const char* key : {"loss", "policy_loss", "value_loss", "value_offline"}) {
      EXPECT_EQ(la[i].value[key], lb[i].value[key]) << key << " at step " << i + 1;
    }
  }
}

trainers::SftConfig OnlineConfig(const std::string& init, int steps) {
  trainers::SftConfig config = TinyConfig();
  config.init_checkpoint = init;
  config.max_steps = steps;
  config.batch_size = 4;
  config.lr = 1e-3;
  return config;
}

// The warm-up gate: during the first K steps only the value head learns (every other weight is the offline
// checkpoint's, bit for bit), and the diagnostic (value on the probe vs on the rollouts) is logged each step;
// without the warm-up the first step moves the policy.
TEST_F(WsrlText, WarmupStepsMoveOnlyTheValueHead) {
  trainers::WsrlTextOptions o;
  o.warmup_steps = 2;
  o.ppo.max_new_tokens = 12;
  const trainers::ReftOptions ppo = trainers::OnlineReftOptions(o, offline_->checkpoint_dir);
  EXPECT_EQ(ppo.critic_warmup_steps, 2);
  EXPECT_EQ(ppo.value_head_from, offline_->checkpoint_dir);
  EXPECT_EQ(ppo.offline_sft_coef, 0.0);
  EXPECT_TRUE(ppo.offline_data.empty());  // no offline data online
  const auto out = TempDir("gate");
  const auto r = trainers::RunReft(OnlineConfig(offline_->checkpoint_dir, 2), ppo, out.string());
  auto before = trainers::LoadCheckpoint(offline_->checkpoint_dir, kRuntime);
  auto after = trainers::LoadCheckpoint(r.checkpoint_dir, kRuntime);
  auto pa = after->named_parameters();
  for (const auto& p : before->named_parameters()) {
    if (p.key().rfind("value_head.", 0) == 0) {
      EXPECT_FALSE(torch::equal(p.value(), pa[p.key()])) << p.key();
    } else {
      EXPECT_TRUE(torch::equal(p.value(), pa[p.key()])) << p.key();
    }
  }
  const auto log = util::ReadJsonLines((out / "metrics.jsonl").string());
  ASSERT_EQ(log.size(), 2u);
  for (const auto& line : log) {
    EXPECT_EQ(line.value.value("critic_only", false), true);
    EXPECT_FALSE(line.value.contains("clipfrac"));
    for (const char* key : {"value_offline", "value_online", "value_offline_mse", "value_online_mse"}) {
      EXPECT_TRUE(line.value.contains(key)) << key;
    }
  }
  // Step 1 measures the offline head as saved: the same number MeasureValues gives on the probe.
  const auto probe = trainers::rl::ReadTrajectories(offline_->checkpoint_dir + "/" + trainers::kWsrlOfflineProbeFile);
  std::vector<double> returns;
  for (const auto& t : probe) returns.push_back(t.reward);
  const auto tok = trainers::LoadCheckpointTokenizer(offline_->checkpoint_dir);
  const auto stats = trainers::rl::MeasureValues(before, trainers::rl::TrajectorySamples(tok, probe), returns,
                                                 std::max(0, tok.pad_id()));
  EXPECT_NEAR(log[0].value["value_offline"].get<double>(), stats.mean_value, 1e-5);

  // The fresh-critic arm measures another head at step 1: not the offline one, nor its initialisation (the
  // run's seed would give that back, and the offline trunk has adapted to it).
  o.critic = "fresh";
  const auto out_fresh = TempDir("fresh");
  trainers::RunReft(OnlineConfig(offline_->checkpoint_dir, 1), trainers::OnlineReftOptions(o, offline_->checkpoint_dir),
                    out_fresh.string());
  auto seed_head = trainers::rl::LoadWithValueHead(offline_->checkpoint_dir, kRuntime, TinyConfig().seed, "", true);
  const auto seed_stats = trainers::rl::MeasureValues(seed_head, trainers::rl::TrajectorySamples(tok, probe), returns,
                                                      std::max(0, tok.pad_id()));
  const double fresh_value = util::ReadJsonLines((out_fresh / "metrics.jsonl").string())[0].value["value_offline"].get<double>();
  EXPECT_GT(std::abs(fresh_value - stats.mean_value), 1e-3);
  EXPECT_GT(std::abs(fresh_value - seed_stats.mean_value), 1e-3);
  o.critic = "offline";

  // No warm-up: the first step is an actor-critic step and the policy moves.
  o.warmup_steps = 0;
  const auto out0 = TempDir("no_warmup");
  const auto r0 = trainers::RunReft(OnlineConfig(offline_->checkpoint_dir, 1), trainers::OnlineReftOptions(o, offline_->checkpoint_dir),
                                    out0.string());
  auto moved = trainers::LoadCheckpoint(r0.checkpoint_dir, kRuntime);
  EXPECT_FALSE(SamePolicy(moved, before));
  EXPECT_TRUE(util::ReadJsonLines((out0 / "metrics.jsonl").string())[0].value.contains("clipfrac"));
}

// Retention: the offline policy loss joins every policy update with its coefficient. With 4 offline texts
// and a batch of 4 the step draws all of them, so loss(coef) - loss(0) = coef x their weight-normalised NLL
// under the starting weights, computed here from plain forwards; a critic-only step leaves the policy as is.
TEST_F(WsrlText, RetentionAddsCoefTimesTheOfflineNll) {
  const auto dir = TempDir("retention");
  std::vector<trainers::rl::OfflineTrajectory> texts = {
      {"gsm8k", "a", "Question: 2 + 3?\nAnswer:", " 2 + 3 = 5. The answer is 5.", "expert", 1.0, true, 1.0},
      {"gsm8k", "b", "Question: 4 * 5?\nAnswer:", " 4 * 5 = 21. The answer is 21.", "suboptimal", 0.1, false, 0.1},
      {"gsm8k", "c", "Question: 9 - 1?\nAnswer:", " The answer is 8.", "expert", 1.0, true, 1.0},
      {"gsm8k", "d", "Question: 6 / 2?\nAnswer:", " I do not know.", "suboptimal", 0.0, false, 0.0}};
  const std::string data = (dir / "offline.jsonl").string();
  trainers::rl::WriteTrajectories(data, texts);
  trainers::ReftOptions options;
  options.max_new_tokens = 12;
  options.ppo_epochs = 1;
  options.offline_data = data;
  const trainers::SftConfig config = OnlineConfig(warm(), 1);
  const auto without = trainers::RunReft(config, options, (dir / "coef0").string());
  options.offline_sft_coef = 0.5;
  const auto with = trainers::RunReft(config, options, (dir / "coef05").string());
  const double loss0 = util::ReadJsonLines((dir / "coef0" / "metrics.jsonl").string())[0].value["loss"].get<double>();
  const auto row = util::ReadJsonLines((dir / "coef05" / "metrics.jsonl").string())[0].value;

  // sum_b w_b NLL_b / sum_b w_b n_b over the 4 texts (completion + EOS) under the warm-up, one forward each;
  // text d (weight 0) adds nothing.
  const auto tok = trainers::LoadCheckpointTokenizer(warm());
  auto model = trainers::LoadCheckpoint(warm(), kRuntime);
  double nll = 0, tokens = 0;
  for (const auto& t : texts) {
    torch::NoGradGuard no_grad;
    std::vector<int64_t> ids;
    for (int id : tok.EncodePrompt(t.prompt, false)) ids.push_back(id);
    const size_t prompt_len = ids.size();
    for (int id : tok.Encode(t.completion)) ids.push_back(id);
    ids.push_back(tok.eos_id());
    const at::Tensor logp = torch::log_softmax(model->Forward(torch::tensor(ids, torch::kLong).unsqueeze(0))[0], -1);
    for (size_t j = prompt_len; j < ids.size(); ++j) {
      nll -= t.weight * logp[j - 1][ids[j]].item<double>();
      tokens += t.weight;
    }
  }
  nll /= tokens;
  EXPECT_NEAR(row["offline_sft_loss"].get<double>(), nll, 1e-4);
  EXPECT_NEAR(row["loss"].get<double>() - loss0, 0.5 * nll, 1e-4);
  EXPECT_FALSE(util::ReadJsonLines((dir / "coef0" / "metrics.jsonl").string())[0].value.contains("offline_sft_loss"));
  auto model_with = trainers::LoadCheckpoint(with.checkpoint_dir, kRuntime);
  auto model_without = trainers::LoadCheckpoint(without.checkpoint_dir, kRuntime);
  EXPECT_FALSE(SamePolicy(model_with, model_without));

  // During the warm-up retention waits: a critic-only step with coef 0.5 leaves the policy as it was.
  options.critic_warmup_steps = 1;
  const auto gated = trainers::RunReft(config, options, (dir / "gated").string());
  auto gated_model = trainers::LoadCheckpoint(gated.checkpoint_dir, kRuntime);
  EXPECT_TRUE(SamePolicy(model, gated_model));
  EXPECT_FALSE(util::ReadJsonLines((dir / "gated" / "metrics.jsonl").string())[0].value.contains("offline_sft_loss"));
}

TEST(WsrlTextMethods, RegisteredWithTheirChainAndArms) {
  const auto names = trainers::MethodNames();
  for (const char* name : {"wsrl-text-offline", "wsrl-text", "wsrl-text-no-warmup", "wsrl-text-retention",
                           "wsrl-text-fresh-critic"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
  }
  EXPECT_EQ(trainers::FindMethod("wsrl-text-offline").starts_from(), "sft");
  for (const char* name : {"wsrl-text", "wsrl-text-no-warmup", "wsrl-text-retention", "wsrl-text-fresh-critic"}) {
    EXPECT_EQ(trainers::FindMethod(name).starts_from(), "wsrl-text-offline") << name;
    EXPECT_EQ(trainers::FindMethod(name).options_section(), "wsrl_text") << name;
  }
  // The arms fix their option over the user's section; the rest of the section applies underneath.
  const nlohmann::json user = {{"warmup_steps", 3}, {"ppo", {{"beta", 0.02}}}};
  const auto wsrl = trainers::FindMethod("wsrl-text").ResolveOptions(user, "c.json");
  EXPECT_EQ(wsrl["warmup_steps"], 3);
  EXPECT_DOUBLE_EQ(wsrl["ppo"]["beta"].get<double>(), 0.02);
  EXPECT_EQ(trainers::FindMethod("wsrl-text-no-warmup").ResolveOptions(user, "c.json")["warmup_steps"], 0);
  const auto retention = trainers::FindMethod("wsrl-text-retention").ResolveOptions(user, "c.json");
  EXPECT_EQ(retention["retention"], true);
  EXPECT_EQ(retention["warmup_steps"], 3);
  const auto fresh = trainers::FindMethod("wsrl-text-fresh-critic").ResolveOptions(user, "c.json");
  EXPECT_EQ(fresh["critic"], "fresh");
  // What each arm hands to PPO.
  const auto read = [](const nlohmann::json& j) { return trainers::WsrlTextOptionsFields().Read(j, "resolved"); };
  const trainers::ReftOptions r = trainers::OnlineReftOptions(read(retention), "/ckpt");
  EXPECT_EQ(r.offline_data, std::string("/ckpt/") + trainers::kWsrlOfflineDataFile);
  EXPECT_DOUBLE_EQ(r.offline_sft_coef, 1.0);
  EXPECT_EQ(r.critic_warmup_steps, 3);
  const trainers::ReftOptions f = trainers::OnlineReftOptions(read(fresh), "/ckpt");
  EXPECT_TRUE(f.fresh_value_head);
  EXPECT_TRUE(f.value_head_from.empty());
  EXPECT_TRUE(f.offline_data.empty());
}

TEST(WsrlTextMethods, BadOptionsNameTheirField) {
  struct Case {
    std::string method;
    nlohmann::json section;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{
           {"wsrl-text", {{"warmup_steps", -1}}, "wsrl_text.warmup_steps"},
           {"wsrl-text", {{"critic", "random"}}, "wsrl_text.critic"},
           {"wsrl-text", {{"warmup_step", 2}}, "wsrl_text.warmup_step"},
           {"wsrl-text", {{"ppo", {{"beta", -1}}}}, "wsrl_text.ppo.beta"},
           {"wsrl-text", {{"ppo", {{"critic_warmup_steps", 3}}}}, "wsrl_text.ppo.critic_warmup_steps"},
           {"wsrl-text", {{"ppo", {{"algorithm", "grpo"}, {"samples", 4}, {"kl_placement", "loss"}}}},
            "wsrl_text.ppo.algorithm"},
           {"wsrl-text-retention", {{"retention_coef", -0.5}}, "wsrl_text.retention_coef"},
           {"wsrl-text-offline", {{"policy_loss", "awr"}}, "wsrl_text_offline.policy_loss"},
           {"wsrl-text-offline", {{"wrong_rate", 2}}, "wsrl_text_offline.wrong_rate"},
           {"wsrl-text-offline", {{"suboptimal", 0}, {"expert_share", 0.0}}, "wsrl_text_offline.suboptimal"},
           {"reft", {{"fresh_value_head", true}, {"value_head_from", "/x"}}, "reft.fresh_value_head"},
           {"reft", {{"offline_sft_coef", 0.5}}, "reft.offline_data"}}) {
    try {
      trainers::FindMethod(c.method).ResolveOptions(c.section, "c.json");
      ADD_FAILURE() << c.method << " accepted " << c.section.dump();
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, c.field) << e.what();
      EXPECT_EQ(e.where().file, "c.json");
    }
  }
}

}  // namespace
