// ReFT's shared RL pieces and loop: token batches line up with the logits that score them, one scoring
// forward equals a hand-made log-softmax, rewards come from the task's own extractor (1 / 0.1 / 0), a value
// head joins an SFT checkpoint, options are validated, and a killed PPO run resumes to the same numbers.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>

#include <torch/torch.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "tasks/registry.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/methods/registry.h"
#include "trainers/reft/reft.h"
#include "trainers/rl/reward_model.h"
#include "trainers/rl/rollout.h"
#include "trainers/sft/sft_config.h"
#include "trainers/sft/sft_trainer.h"
#include "tiny_config.h"

namespace {

namespace fs = std::filesystem;
using trainers::rl::Sample;

fs::path TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("reft_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

trainers::SftConfig TinyConfig() {
  return test_support::TinySftConfig({{"grad_accum", 1}, {"max_steps", 6}, {"warmup_steps", 1}, {"log_every", 1},
                                      {"eval_max_new_tokens", 12}});
}

// A tiny SFT warm-up trained into `name`, and the settings of an RL run that starts from it.
trainers::SftConfig FromWarmUp(const std::string& name, int max_steps, int batch_size) {
  const auto warm = TempDir(name);
  trainers::SftConfig config = TinyConfig();
  trainers::RunSft(config, warm.string());
  config.init_checkpoint = (warm / "checkpoint").string();
  config.max_steps = max_steps;
  config.batch_size = batch_size;
  return config;
}

Sample MakeSample(std::vector<int> prompt, std::vector<int> response, std::vector<uint8_t> action) {
  Sample s;
  s.prompt_ids = std::move(prompt);
  s.response_ids = std::move(response);
  s.action = std::move(action);
  return s;
}

TEST(TokenBatch, ResponsePositionsIndexTheLogitsBeforeThem) {
  const std::vector<Sample> samples = {MakeSample({5, 6, 7}, {8, 9}, {1, 1}),
                                       MakeSample({5}, {8, 9, 10}, {1, 0, 1})};
  const auto b = trainers::rl::MakeTokenBatch(samples, {0, 1}, /*pad_id=*/0, torch::kCPU);
  // Row 0: ids 5 6 7 8 9; token 8 (position 3) is scored by the logits at position 2.
  EXPECT_TRUE(torch::equal(b.ids, torch::tensor({{5, 6, 7, 8, 9}, {5, 8, 9, 10, 0}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b.attention, torch::tensor({{1, 1, 1, 1, 1}, {1, 1, 1, 1, 0}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b.index, torch::tensor({{2, 3, 0}, {0, 1, 2}}, torch::kLong)));
  EXPECT_TRUE(torch::equal(b.response, torch::tensor({{8, 9, 0}, {8, 9, 10}}, torch::kLong)));
  // The tool-appended token (action 0) and the padding are out of the mask.
  EXPECT_TRUE(torch::equal(b.mask, torch::tensor({{1.0f, 1.0f, 0.0f}, {1.0f, 0.0f, 1.0f}})));
  EXPECT_EQ(b.tokens, 5 + 4);
}

TEST(ScoreTokens, EqualsLogSoftmaxOfTheFullForward) {
  trainers::ModelConfig c = trainers::PresetConfig("nano", 40);
  c.hidden_size = 32, c.intermediate_size = 64, c.num_hidden_layers = 2, c.num_attention_heads = 2,
  c.num_key_value_heads = 1, c.value_head = true;
  auto model = trainers::BuildModel(c, trainers::RuntimeConfig{"cpu", "float32", 1}, 3);
  const std::vector<Sample> samples = {MakeSample({1, 6, 7}, {8, 9}, {1, 1}), MakeSample({1}, {8, 9, 10}, {1, 1, 1})};
  const auto b = trainers::rl::MakeTokenBatch(samples, {0, 1}, 0, torch::kCPU);
  torch::NoGradGuard no_grad;
  const auto s = trainers::rl::ScoreTokens(model, b, true, true);
  // Row 1 alone, unpadded: its tokens 8 9 10 at positions 1..3 are scored by logits 0..2.
  const auto logits = model->Forward(torch::tensor({{1, 8, 9, 10}}, torch::kLong));
  const auto logp = torch::log_softmax(logits[0], -1);
  for (int j = 0; j < 3; ++j) {
    const int64_t token = std::vector<int64_t>{8, 9, 10}[j];
    EXPECT_NEAR(s.logp[1][j].item<double>(), logp[j][token].item<double>(), 1e-5) << j;
    const auto p = logp[j].exp();
    EXPECT_NEAR(s.entropy[1][j].item<double>(), -(p * logp[j]).sum().item<double>(), 1e-5) << j;
  }
  const auto values = model->Values(model->Hidden(torch::tensor({{1, 8, 9, 10}}, torch::kLong)));
  EXPECT_NEAR(s.values[1][2].item<double>(), values[0][2][0].item<double>(), 1e-5);
}

// Chunk boundaries, hand-computed: a chunk [i, j) of rows sorted longest first costs (j - i) * length[i] plus
// the fixed cost per forward.
TEST(ChunkedBatch, CutsWherePaddingPlusForwardCostIsLeast) {
  struct Case {
    std::vector<int64_t> lengths;
    int64_t cost;
    std::vector<size_t> ends;
  };
  for (const Case& c : std::vector<Case>{
           {{10, 10, 10, 10}, 5, {4}},            // equal lengths: one forward (45 against 50 for two)
           {{100, 90, 20, 10}, 15, {2, 4}},       // 200 + 40 + 30 = 270 < 275 (three) < 280 (four) < 415 (one)
           {{100, 90, 20, 10}, 0, {1, 2, 3, 4}},  // free forwards: no padding at all (220)
           {{100, 90, 20, 10}, 200, {4}},         // 400 + 200 = 600 < 2 * 200 + 240
           {{100, 90, 20, 10}, -1, {4}},          // -1: one chunk
           {{}, 0, {}}}) {
    EXPECT_EQ(trainers::rl::ChunkEnds(c.lengths, c.cost), c.ends) << c.cost;
  }
}

// Chunks hold the rows sorted by length, each padded to its own longest; Gather and Scatter move [B, L]
// tensors between the layouts; scoring by chunks equals scoring the batch padded as one.
TEST(ChunkedBatch, ChunksScoreLikeTheWholeBatch) {
  trainers::ModelConfig c = trainers::PresetConfig("nano", 40);
  c.hidden_size = 32, c.intermediate_size = 64, c.num_hidden_layers = 2, c.num_attention_heads = 2,
  c.num_key_value_heads = 1, c.value_head = true;
  auto model = trainers::BuildModel(c, trainers::RuntimeConfig{"cpu", "float32", 1}, 3);
  const std::vector<Sample> samples = {MakeSample({1, 6}, {8, 9}, {1, 1}),                       // 4 tokens
                                       MakeSample({1, 6, 7, 5}, {8, 9, 10, 11, 12, 13}, {1, 1, 1, 0, 1, 1}),  // 10
                                       MakeSample({1}, {8}, {1}),                                  // 2
                                       MakeSample({1, 7, 7}, {9, 10, 11, 12, 13, 14}, {1, 1, 1, 1, 1, 1})};  // 9
  const auto cb = trainers::rl::MakeChunkedBatch(samples, {0, 1, 2, 3}, 0, torch::kCPU, /*forward_cost_tokens=*/0);
  // Sorted 10, 9, 4, 2; free forwards: every row alone.
  ASSERT_EQ(cb.chunks.size(), 4u);
  const std::vector<int64_t> order = {1, 3, 0, 2};
  for (size_t k = 0; k < 4; ++k) EXPECT_EQ(cb.rows[k].item<int64_t>(), order[k]);
  EXPECT_EQ(cb.padded_tokens, 10 + 9 + 4 + 2);
  EXPECT_EQ(cb.whole.tokens, 25);
  EXPECT_EQ(cb.whole.ids.numel(), 4 * 10);
  EXPECT_EQ(cb.chunks[2].mask.size(1), 2);  // row 0's two response tokens
  // 5 per forward: {10, 9} {4, 2} (20 + 8 + 10 = 38) beats three (26 + 15) and one (40 + 5); 20 per forward:
  // one chunk (60 against 68).
  EXPECT_EQ(trainers::rl::MakeChunkedBatch(samples, {0, 1, 2, 3}, 0, torch::kCPU, 5).chunks.size(), 2u);
  EXPECT_EQ(trainers::rl::MakeChunkedBatch(samples, {0, 1, 2, 3}, 0, torch::kCPU, 20).chunks.size(), 1u);
  // Gather then Scatter gives back what the chunks cover: the whole mask exactly.
  std::vector<at::Tensor> parts;
  for (size_t k = 0; k < cb.chunks.size(); ++k) {
    EXPECT_TRUE(torch::equal(cb.Gather(cb.whole.mask, k), cb.chunks[k].mask)) << k;
    EXPECT_TRUE(torch::equal(cb.Gather(cb.whole.response, k), cb.chunks[k].response)) << k;
    parts.push_back(cb.Gather(cb.whole.mask, k));
  }
  EXPECT_TRUE(torch::equal(cb.Scatter(parts), cb.whole.mask));
  torch::NoGradGuard no_grad;
  const auto whole = trainers::rl::ScoreTokens(model, cb.whole, true, true);
  const auto chunked = trainers::rl::ScoreChunks(model, cb, true, true);
  const at::Tensor m = cb.whole.mask > 0;
  EXPECT_TRUE(torch::allclose(whole.logp.masked_select(m), chunked.logp.masked_select(m), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(whole.entropy.masked_select(m), chunked.entropy.masked_select(m), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(whole.values.masked_select(m), chunked.values.masked_select(m), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(whole.values.masked_select(m), trainers::rl::ChunkValues(model, cb).masked_select(m), 1e-5, 1e-5));
}

TEST(AnswerRewards, FromTheTasksOwnExtractorAndEquivalence) {
  const tasks::Task& gsm8k = tasks::FindTask("gsm8k");
  trainers::rl::Question numeric;
  numeric.task = &gsm8k;
  numeric.record.kind = tasks::AnswerKind::kNumeric;
  numeric.record.gold = "18";
  const tasks::Task& mathqa = tasks::FindTask("mathqa");
  trainers::rl::Question choice;
  choice.task = &mathqa;
  choice.record.kind = tasks::AnswerKind::kChoice;
  choice.record.choices = {"1", "2", "3", "4", "5"};
  choice.record.gold = "B";
  struct Case {
    int question;
    std::string text;
    bool partial_on_choice;
    double score;
    bool correct, extracted;
  };
  const std::vector<Case> cases = {
      {0, "3 * 6 = 18\nThe answer is 18.", false, 1.0, true, true},
      {0, "3 * 6 = 17\nThe answer is 17.", false, 0.1, false, true},   // extractable but wrong
      {0, "I cannot tell.", false, 0.0, false, false},                  // nothing to extract
      {1, "The answer is (B).", false, 1.0, true, true},
      {1, "The answer is (C).", false, 0.0, false, true},               // the paper: no partial on MC
      {1, "The answer is (C).", true, 0.1, false, true},                // ReFT's code: partial on MC too
  };
  for (const Case& c : cases) {
    trainers::rl::RewardOptions o;
    o.partial_on_choice = c.partial_on_choice;
    Sample s;
    s.question = c.question;
    s.text = c.text;
    const auto r = trainers::rl::AnswerRewards({numeric, choice}, {s}, o);
    EXPECT_DOUBLE_EQ(r[0].score, c.score) << c.text;
    EXPECT_EQ(r[0].correct, c.correct) << c.text;
    EXPECT_EQ(r[0].extracted, c.extracted) << c.text;
  }
}

// Samples of (question index, response text) pairs.
std::vector<Sample> SamplesOf(const std::vector<std::pair<int, std::string>>& texts) {
  std::vector<Sample> samples;
  for (const auto& [q, text] : texts) {
    Sample s;
    s.question = q;
    s.text = text;
    samples.push_back(s);
  }
  return samples;
}

TEST(AnswerRewards, PcotResponsesAreScoredByWhatTheirProgramPrints) {
  const tasks::Task& gsm8k = tasks::FindTask("gsm8k");
  trainers::rl::Question pcot;
  pcot.task = &gsm8k;
  pcot.record.kind = tasks::AnswerKind::kNumeric;
  pcot.record.gold = "18";
  pcot.program_answers = true;
  trainers::rl::Question ncot = pcot;
  ncot.program_answers = false;
  // A stand-in for the sandbox: prints the number after "print(" and fails on anything else.
  std::vector<std::string> ran;
  trainers::rl::RewardOptions o;
  o.program_runner = [&](const std::vector<std::string>& programs) {
    ran.insert(ran.end(), programs.begin(), programs.end());
    std::vector<scoring::ProgramRun> runs;
    for (const auto& p : programs) {
      const bool ok = p.rfind("print(", 0) == 0;
      runs.push_back({ok, ok ? p.substr(6, p.size() - 7) + "\n" : "", ok ? "passed" : "runtime_error"});
    }
    return runs;
  };
  const std::vector<std::pair<int, std::string>> texts = {
      {0, "print(18)"}, {0, "print(17)\n\nThe answer is 18."}, {0, "crash()"}, {1, "The answer is 18."}, {0, ""}};
  const auto r = trainers::rl::AnswerRewards({pcot, ncot}, SamplesOf(texts), o);
  // One batch of the P-CoT programs (the empty response runs nothing), cut at the blank line.
  EXPECT_EQ(ran, (std::vector<std::string>{"print(18)", "print(17)", "crash()"}));
  const std::vector<double> scores = {1.0, 0.1, 0.0, 1.0, 0.0};
  for (size_t i = 0; i < scores.size(); ++i) EXPECT_DOUBLE_EQ(r[i].score, scores[i]) << texts[i].second;
  EXPECT_EQ(r[1].answer, "17");
  EXPECT_TRUE(r[3].correct);
}

// Code answers (START's Hint-RFT and RFT on livecodebench): every extracted program of the batch goes to the
// code grader in one call, in sample order; its verdict is the reward (partial for a failing program); a
// response with no program is not graded; a batch with code and no grader is refused.
TEST(AnswerRewards, CodeIsGradedByTheSandboxGraderInOneBatch) {
  trainers::rl::Question code;
  code.task = &tasks::FindTask("livecodebench");
  code.record.kind = tasks::AnswerKind::kCode;
  code.record.id = "c1";
  trainers::rl::Question numeric;
  numeric.task = &tasks::FindTask("gsm8k");
  numeric.record.kind = tasks::AnswerKind::kNumeric;
  numeric.record.gold = "4";
  const std::vector<std::pair<int, std::string>> texts = {
      {0, "```python\nprint('ok')\n```"}, {1, "The answer is 4."}, {0, "no program here"},
      {0, "```python\nprint('bad')\n```"}};
  const std::vector<Sample> samples = SamplesOf(texts);
  int calls = 0;
  std::vector<std::string> graded;
  trainers::rl::RewardOptions o;
  o.code_grader = [&](const std::vector<std::pair<const tasks::Record*, std::string>>& jobs) {
    ++calls;
    std::vector<nlohmann::json> out;
    for (const auto& [record, program] : jobs) {
      EXPECT_EQ(record->id, "c1");
      graded.push_back(program);
      out.push_back({{"passed", program.find("ok") != std::string::npos}, {"status", "passed"}});
    }
    return out;
  };
  const auto r = trainers::rl::AnswerRewards({code, numeric}, samples, o);
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(graded.size(), 2u);
  EXPECT_NE(graded[0].find("print('ok')"), std::string::npos);
  EXPECT_NE(graded[1].find("print('bad')"), std::string::npos);
  const std::vector<double> scores = {1.0, 1.0, 0.0, 0.1};
  for (size_t i = 0; i < scores.size(); ++i) EXPECT_DOUBLE_EQ(r[i].score, scores[i]) << texts[i].second;
  EXPECT_TRUE(r[0].correct);
  EXPECT_FALSE(r[3].correct);
  EXPECT_FALSE(r[2].extracted);
  o.code_grader = nullptr;
  EXPECT_THROW(trainers::rl::AnswerRewards({code, numeric}, samples, o), std::logic_error);
}

TEST(ValueHead, JoinsAnSftCheckpointFreshAndSeeded) {
  auto dir = TempDir("vh");
  trainers::SftConfig config = TinyConfig();
  config.max_steps = 2;
  trainers::RunSft(config, dir.string());
  const std::string ckpt = (dir / "checkpoint").string();
  const trainers::RuntimeConfig runtime{"cpu", "float32", 1};
  auto plain = trainers::LoadCheckpoint(ckpt, runtime);
  auto a = trainers::rl::LoadWithValueHead(ckpt, runtime, 7);
  auto b = trainers::rl::LoadWithValueHead(ckpt, runtime, 7);
  auto c = trainers::rl::LoadWithValueHead(ckpt, runtime, 8);
  auto pa = a->named_parameters();
  for (const auto& p : plain->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pa[p.key()])) << p.key();
  EXPECT_TRUE(torch::equal(pa["value_head.weight"], b->named_parameters()["value_head.weight"]));
  EXPECT_FALSE(torch::equal(pa["value_head.weight"], c->named_parameters()["value_head.weight"]));
  EXPECT_GT(pa["value_head.weight"].abs().sum().item<double>(), 0);
  // The head from another checkpoint that has one; a checkpoint without one is an input error.
  trainers::SaveCheckpoint((dir / "with_head").string(), c, trainers::LoadCheckpointTokenizer(ckpt));
  auto d = trainers::rl::LoadWithValueHead(ckpt, runtime, 7, (dir / "with_head").string());
  EXPECT_TRUE(torch::equal(d->named_parameters()["value_head.weight"], c->named_parameters()["value_head.weight"]));
  EXPECT_THROW(trainers::rl::LoadWithValueHead(ckpt, runtime, 7, ckpt), util::InputError);
}

TEST(ReftOptions, RejectImpossibleCombinations) {
  const auto& reft = trainers::FindMethod("reft");
  struct Case {
    nlohmann::json section;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{{{{"algorithm", "a2c"}}, "reft.algorithm"},
                                         {{{"algorithm", "grpo"}, {"samples", 1}, {"kl_placement", "loss"}}, "reft.samples"},
                                         {{{"algorithm", "grpo"}, {"samples", 4}}, "reft.kl_placement"},
                                         {{{"kl_estimator", "k9"}}, "reft.kl_estimator"},
                                         {{{"beta", -1}}, "reft.beta"},
                                         {{{"ppo_epoch", 2}}, "reft.ppo_epoch"},
                                         {{{"value_model", "both"}}, "reft.value_model"},
                                         {{{"algorithm", "online-st"}, {"value_model", "separate"}}, "reft.value_model"}}) {
    try {
      reft.ResolveOptions(c.section, "c.json");
      ADD_FAILURE() << c.section.dump() << " was accepted";
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, c.field) << e.what();
      EXPECT_EQ(e.where().file, "c.json");
    }
  }
  // The variants fix their options over the user's section.
  const auto grpo = trainers::FindMethod("grpo").ResolveOptions({{"beta", 0.02}}, "c.json");
  EXPECT_EQ(grpo["algorithm"], "grpo");
  EXPECT_EQ(grpo["samples"], 4);
  EXPECT_DOUBLE_EQ(grpo["beta"].get<double>(), 0.02);
  EXPECT_DOUBLE_EQ(trainers::FindMethod("reft-beta0").ResolveOptions({{"beta", 0.3}}, "c.json")["beta"].get<double>(), 0.0);
}

// A PPO run killed after 2 of 4 steps and rerun into the same directory ends with the weights and the
// logged numbers of an uninterrupted run (CPU, one thread).
// Both value models: the head on the shared trunk, and the separate value model, whose weights and optimizer
// are saved beside the policy's.
class ReftResume : public ::testing::TestWithParam<std::string> {};

TEST_P(ReftResume, KilledRunResumesToTheSameNumbers) {
  const std::string value_model = GetParam();
  auto straight = TempDir("straight_" + value_model), resumed = TempDir("resumed_" + value_model);
  trainers::SftConfig config = FromWarmUp("warm", 4, 6);
  config.lr = 1e-3;
  config.save_every = 0;
  trainers::ReftOptions options;
  options.max_new_tokens = 12;
  options.value_model = value_model;
  const auto a = trainers::RunReft(config, options, straight.string());
  EXPECT_EQ(a.summary["steps"], 4);
  trainers::RunReft(config, options, resumed.string(), /*stop_after_steps=*/2);
  const auto b = trainers::RunReft(config, options, resumed.string());
  EXPECT_EQ(b.summary["steps"], 4);
  const trainers::RuntimeConfig runtime{"cpu", "float32", 1};
  auto ma = trainers::LoadCheckpoint(a.checkpoint_dir, runtime), mb = trainers::LoadCheckpoint(b.checkpoint_dir, runtime);
  auto pb = mb->named_parameters();
  // The separate value model keeps its head out of the policy's checkpoint, in the resumable state.
  EXPECT_EQ(pb.contains("value_head.weight"), value_model == "shared");
  EXPECT_EQ(fs::exists(resumed / "state" / "value_model" / "model.safetensors"), value_model == "separate");
  for (const auto& p : ma->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  const auto la = util::ReadJsonLines((straight / "metrics.jsonl").string());
  const auto lb = util::ReadJsonLines((resumed / "metrics.jsonl").string());
  ASSERT_EQ(la.size(), 4u);
  ASSERT_EQ(lb.size(), 4u);
  for (size_t i = 0; i < la.size(); ++i) {
    for (const char* key : {"reward", "kl", "policy_loss", "value_loss", "response_tokens"}) {
      EXPECT_EQ(la[i].value[key], lb[i].value[key]) << key << " at step " << i + 1;
    }
  }
  // The policy moved away from the reference: the KL logged at step 1 is 0 and later is not.
  EXPECT_DOUBLE_EQ(la[0].value["kl"].get<double>(), 0.0);
  EXPECT_NE(la[3].value["kl"].get<double>(), 0.0);
}

INSTANTIATE_TEST_SUITE_P(ValueModels, ReftResume, ::testing::Values("shared", "separate"));

}  // namespace

namespace {

// The outcome reward model: trained on labelled samples of the warm-up through the scaffold, it gives each
// completion a probability, the same on reload, and evaluation turns its scores into rerank@k.
TEST(RewardModel, TrainsScoresAndFeedsRerank) {
  auto out = TempDir("orm");
  trainers::SftConfig config = FromWarmUp("orm_warm", 3, 4);
  const fs::path warm = fs::path(config.init_checkpoint).parent_path();
  trainers::rl::RewardModelOptions options;
  options.tasks = {"gsm8k"};
  options.questions = 8;
  options.k = 2;
  options.max_new_tokens = 12;
  const auto r = trainers::rl::TrainRewardModel(config, options, out.string());
  EXPECT_EQ(r.summary["steps"], 3);
  EXPECT_LE(r.summary["samples"].get<int>(), 16);
  const trainers::rl::RewardModelScorer a(r.checkpoint_dir, 1), b(r.checkpoint_dir, 1);
  const std::vector<std::string> prompts = {"Question: 2 + 3?\nAnswer:", "Question: 4 * 5?\nAnswer:"};
  const std::vector<std::vector<std::string>> completions = {{" 5. The answer is 5.", " The answer is 6."},
                                                             {" The answer is 20."}};
  const auto sa = a.Score(prompts, completions), sb = b.Score(prompts, completions);
  ASSERT_EQ(sa.size(), 2u);
  ASSERT_EQ(sa[0].size(), 2u);
  ASSERT_EQ(sa[1].size(), 1u);
  for (size_t i = 0; i < sa.size(); ++i) {
    for (size_t j = 0; j < sa[i].size(); ++j) {
      EXPECT_GT(sa[i][j], 0.0);
      EXPECT_LT(sa[i][j], 1.0);
      EXPECT_DOUBLE_EQ(sa[i][j], sb[i][j]);
    }
  }
  EXPECT_NE(sa[0][0], sa[0][1]);
  // A policy checkpoint has no classifier head: refused with the path named.
  EXPECT_THROW(trainers::rl::RewardModelScorer((warm / "checkpoint").string(), 1), util::InputError);
}

}  // namespace

namespace {

// Every loop of the trainer runs end to end on the tiny model and logs what it should: GRPO its groups
// (no value loss, KL in the loss), online self-training its correct-sample count, and the critic warm-up
// a value loss with the policy untouched by policy-gradient terms.
TEST(ReftAlgorithms, EachLoopRunsAndLogsItsQuantities) {
  const trainers::SftConfig config = FromWarmUp("alg_warm", 2, 4);
  struct Case {
    std::string name;
    nlohmann::json options;
    std::vector<std::string> logged, absent;
  };
  const std::vector<Case> cases = {
      {"grpo", {{"algorithm", "grpo"}, {"samples", 2}, {"kl_placement", "loss"}, {"kl_estimator", "k3"}},
       {"reward", "kl", "clipfrac", "entropy"}, {"value_loss"}},
      {"online-st", {{"algorithm", "online-st"}}, {"reward", "correct_samples"}, {"value_loss", "clipfrac"}},
      {"critic-warmup", {{"critic_warmup_steps", 2}}, {"reward", "value_loss"}, {"clipfrac"}},
      {"separate", {{"value_model", "separate"}}, {"reward", "value_loss", "clipfrac", "entropy", "reward_seconds"}, {}},
      {"separate-critic-warmup", {{"value_model", "separate"}, {"critic_warmup_steps", 2}}, {"reward", "value_loss"},
       {"clipfrac"}},
  };
  for (const Case& c : cases) {
    nlohmann::json o = c.options;
    o["max_new_tokens"] = 12;
    const auto options = trainers::ReftOptionsFields().Read(o, "case");
    const auto out = TempDir("alg_" + c.name);
    const auto r = trainers::RunReft(config, options, out.string());
    EXPECT_EQ(r.summary["steps"], 2) << c.name;
    EXPECT_TRUE(r.summary.contains("breakdown")) << c.name;
    const auto log = util::ReadJsonLines((out / "metrics.jsonl").string());
    ASSERT_EQ(log.size(), 2u) << c.name;
    for (const auto& key : c.logged) EXPECT_TRUE(log[1].value.contains(key)) << c.name << " " << key;
    for (const auto& key : c.absent) EXPECT_FALSE(log[1].value.contains(key)) << c.name << " " << key;
    if (c.name == "separate-critic-warmup") {
      // Only the separate value model learned: the policy is the warm-up, bit for bit, with no head.
      const trainers::RuntimeConfig runtime{"cpu", "float32", 1};
      auto before = trainers::LoadCheckpoint(config.init_checkpoint, runtime);
      auto pa = trainers::LoadCheckpoint(r.checkpoint_dir, runtime)->named_parameters();
      EXPECT_FALSE(pa.contains("value_head.weight"));
      for (const auto& p : before->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pa[p.key()])) << p.key();
    }
    if (c.name == "critic-warmup") {
      // Only the value head learned: every trunk and lm_head weight is the warm-up's, bit for bit.
      const trainers::RuntimeConfig runtime{"cpu", "float32", 1};
      auto before = trainers::LoadCheckpoint(config.init_checkpoint, runtime);
      auto after = trainers::LoadCheckpoint(r.checkpoint_dir, runtime);
      auto pa = after->named_parameters();
      for (const auto& p : before->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), pa[p.key()])) << p.key();
      auto fresh = trainers::rl::LoadWithValueHead(config.init_checkpoint, runtime, config.seed);
      EXPECT_FALSE(torch::equal(fresh->named_parameters()["value_head.weight"], pa["value_head.weight"]));
    }
  }
}

}  // namespace

namespace {

// The speed options move the forwards, not the updates: with every distinct length its own chunk and the first
// update's forward reused for the old scores, a step logs the losses, gradient norm, KL and entropy of the plain
// loop (the batch padded as one, the old scores from a separate forward without gradients), up to float rounding.
TEST(ReftSpeed, ChunksAndTheReusedFirstPassGiveTheSameUpdates) {
  trainers::SftConfig config = FromWarmUp("speed_warm", 1, 6);
  config.lr = 1e-3;
  struct Case {
    std::string name;
    nlohmann::json options;
  };
  for (const Case& c : std::vector<Case>{
           {"ppo", nlohmann::json::object()},
           {"separate", {{"value_model", "separate"}}},
           {"grpo", {{"algorithm", "grpo"}, {"samples", 2}, {"kl_placement", "loss"}, {"kl_estimator", "k3"}}},
           {"token-mean", {{"loss_aggregation", "token-mean"}}}}) {
    std::map<std::string, nlohmann::json> logged;
    for (const bool fast : {false, true}) {
      nlohmann::json o = c.options;
      o["max_new_tokens"] = 12;
      o["chunk_forward_cost"] = fast ? 0 : -1;
      o["reuse_first_pass"] = fast;
      const auto out = TempDir("speed_" + c.name + (fast ? "_fast" : "_plain"));
      trainers::RunReft(config, trainers::ReftOptionsFields().Read(o, "case"), out.string());
      const auto log = util::ReadJsonLines((out / "metrics.jsonl").string());
      ASSERT_EQ(log.size(), 1u) << c.name;
      logged[fast ? "fast" : "plain"] = log[0].value;
    }
    const nlohmann::json &plain = logged["plain"], &fast = logged["fast"];
    EXPECT_EQ(plain["reward"], fast["reward"]) << c.name;  // the same rollout
    EXPECT_EQ(plain["score_chunks"], 1) << c.name;
    EXPECT_GT(fast["score_chunks"].get<int>(), 1) << c.name;
    EXPECT_LT(fast["padding_share"].get<double>(), plain["padding_share"].get<double>()) << c.name;
    for (const char* key : {"loss", "policy_loss", "value_loss", "grad_norm", "kl", "entropy", "clipfrac"}) {
      ASSERT_EQ(plain.contains(key), fast.contains(key)) << c.name << " " << key;
      if (!plain.contains(key)) continue;
      const double a = plain[key].get<double>(), b = fast[key].get<double>();
      EXPECT_NEAR(a, b, 1e-4 * std::max(1.0, std::abs(a))) << c.name << " " << key;
    }
  }
}

}  // namespace
