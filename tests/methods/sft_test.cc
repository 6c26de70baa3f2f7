// SFT: the weighted completion-only loss against a hand computation, config validation, and exact resume.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include <torch/torch.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/model/llama.h"
#include "trainers/sft/sft_config.h"
#include "trainers/sft/sft_data.h"
#include "trainers/sft/sft_loss.h"
#include "trainers/sft/sft_trainer.h"
#include "tiny_config.h"

namespace {

namespace fs = std::filesystem;

fs::path TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("sft_test_" + std::to_string(::getpid())) / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(WeightedLoss, MatchesHandComputation) {
  // Vocabulary of 3, two sequences of length 3. Logits chosen so each cross-entropy is easy to write down.
  torch::Tensor logits = torch::zeros({2, 3, 3});
  logits[0][0] = torch::tensor({2.0, 0.0, 0.0});   // predicts ids[0][1] = 0
  logits[0][1] = torch::tensor({0.0, 1.0, 0.0});   // predicts ids[0][2] = 2
  logits[1][0] = torch::tensor({0.0, 0.0, 3.0});   // predicts ids[1][1] = 1
  logits[1][1] = torch::tensor({1.0, 1.0, 1.0});   // predicts ids[1][2] = 1
  torch::Tensor ids = torch::tensor({{1, 0, 2}, {2, 1, 1}}, torch::kLong);
  // Sequence 0: both predicted tokens are completion tokens; sequence 1: only the last one.
  torch::Tensor target = torch::tensor({{0, 1, 1}, {0, 0, 1}}, torch::kUInt8);
  torch::Tensor weights = torch::tensor({1.0f, 0.25f});
  auto ce = [](std::vector<double> l, int y) {
    double z = 0;
    for (double v : l) z += std::exp(v);
    return std::log(z) - l[y];
  };
  const double ce00 = ce({2, 0, 0}, 0), ce01 = ce({0, 1, 0}, 2), ce11 = ce({1, 1, 1}, 1);
  const double expected = (1.0 * ce00 + 1.0 * ce01 + 0.25 * ce11) / (1.0 + 1.0 + 0.25);
  double denominator = 0;
  torch::Tensor sum = trainers::WeightedCompletionLossSum(logits, ids, target, weights, &denominator);
  EXPECT_NEAR(denominator, 2.25, 1e-9);
  EXPECT_NEAR(sum.item<double>() / denominator, expected, 1e-6);
  // A zero weight removes a sequence entirely.
  weights = torch::tensor({1.0f, 0.0f});
  sum = trainers::WeightedCompletionLossSum(logits, ids, target, weights, &denominator);
  EXPECT_NEAR(sum.item<double>() / denominator, (ce00 + ce01) / 2, 1e-6);
}

TEST(SftConfig, RejectsUnknownKeysAndImpossibleValues) {
  nlohmann::json ok = {{"train", {{{"task", "gsm8k"}, {"synthetic_n", 10}}}}};
  EXPECT_NO_THROW(trainers::SftConfigFromJson(ok, "c.json"));
  struct Case { nlohmann::json patch; const char* field; } cases[] = {
      {{{"learning_rate", 0.1}}, "learning_rate"},
      {{{"lr", 2.0}}, "lr"},
      {{{"batch_size", 0}}, "batch_size"},
      {{{"max_steps", "ten"}}, "max_steps"},
      {{{"warmup_steps", 5000}}, "warmup_steps"},
      {{{"train", nlohmann::json::array()}}, "train"},
      {{{"train", {{{"task", "gsm8k"}}}}}, "train[0].synthetic_n"},
      {{{"train", {{{"task", "gsm8k"}, {"synthetic_n", 5}, {"style", "fancy"}}}}}, "train[0].style"},
      {{{"train", {{{"task", "gsm8k"}, {"synthetic_n", 5}, {"wrong_rate", 2.0}}}}}, "train[0].wrong_rate"},
      {{{"train", {{{"task", "gsm8k"}, {"synthetic_n", 5}, {"style", "ncot"}, {"tool_share", 1.5}}}}},
       "train[0].tool_share"},
      {{{"train", {{{"task", "gsm8k"}, {"synthetic_n", 5}, {"style", "pcot"}, {"tool_share", 0.1}}}}},
       "train[0].tool_share"},
      {{{"train", {{{"task", "mathqa"}, {"synthetic_n", 5}, {"style", "ncot-check"}, {"lookup_share", 1.5}}}}},
       "train[0].lookup_share"},
      {{{"train", {{{"task", "gsm8k"}, {"synthetic_n", 5}, {"style", "ncot"}, {"lookup_share", 0.2}}}}},
       "train[0].lookup_share"},
      {{{"train", {{{"task", "gpqa"}, {"synthetic_n", 5}, {"style", "mixed"}, {"lookup_share", 0.2}}}}},
       "train[0].lookup_share"},
      {{{"log_every", 0}}, "log_every"},   // used to divide by zero
      {{{"eval_n", 0}}, "eval_n"},         // used to read front() of an empty vector
      {{{"preset", "nanoo"}}, "preset"},
      {{{"tokenizer_vocab", 100}}, "tokenizer_vocab"},
  };
  for (const auto& c : cases) {
    nlohmann::json j = ok;
    j.update(c.patch);
    try {
      trainers::SftConfigFromJson(j, "c.json");
      ADD_FAILURE() << c.patch;
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().field, c.field) << e.what();
      EXPECT_EQ(e.where().file, "c.json");
    }
  }
}

// tool_share is written only when set, so the JSON (and every run key hashed from it) of a config without it
// is what it was before the field existed; a set share reads back.
TEST(SftConfig, ToolShareIsWrittenOnlyWhenSet) {
  nlohmann::json j = {{"train", {{{"task", "gsm8k"}, {"synthetic_n", 10}, {"style", "ncot"}}}}};
  trainers::SftConfig plain = trainers::SftConfigFromJson(j, "c.json");
  EXPECT_FALSE(trainers::SftConfigToJson(plain)["train"][0].contains("tool_share"));
  EXPECT_TRUE(trainers::SftConfigToJson(plain)["train"][0].contains("wrong_rate"));
  j["train"][0]["tool_share"] = 0.05;
  trainers::SftConfig tool = trainers::SftConfigFromJson(j, "c.json");
  EXPECT_EQ(tool.train[0].tool_share, 0.05);
  const nlohmann::json written = trainers::SftConfigToJson(tool);
  EXPECT_EQ(written["train"][0]["tool_share"], 0.05);
  EXPECT_EQ(trainers::SftConfigFromJson(written, "c.json").train[0].tool_share, 0.05);
}

// A generator source's tool_share reaches the generator: at 1 every gsm8k completion is the tool solution.
TEST(SftData, ToolShareReachesTheGenerator) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("sft_tool_share_" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  trainers::DataSource source;
  source.task = "gsm8k";
  source.synthetic_n = 20;
  source.style = "ncot";
  for (double share : {0.0, 1.0}) {
    source.tool_share = share;
    const auto examples = trainers::BuildTextExamples(source, dir);
    ASSERT_EQ(examples.size(), 20u);
    for (const auto& e : examples) {
      EXPECT_EQ(e.completion.find("Wait, maybe using Python here is a good idea.\n<code>\n") != std::string::npos,
                share == 1.0)
          << e.completion;
    }
  }
  std::filesystem::remove_all(dir);
}

// A source's lookup_share reaches the generator (at 1 every mathqa prompt asks "which option is V ?" and every
// completion is the option checks alone), and like tool_share it is written only when set.
TEST(SftData, LookupShareReachesTheGeneratorAndIsWrittenOnlyWhenSet) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("sft_lookup_" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  trainers::DataSource source;
  source.task = "mathqa";
  source.synthetic_n = 20;
  source.style = "ncot-check";
  source.template_name = "qa-v1";
  for (double share : {0.0, 1.0}) {
    source.lookup_share = share;
    const auto examples = trainers::BuildTextExamples(source, dir);
    ASSERT_EQ(examples.size(), 20u);
    for (const auto& e : examples) {
      EXPECT_EQ(e.prompt.rfind("Question: which option is ", 0) == 0, share == 1.0) << e.prompt;
      EXPECT_EQ(e.completion.rfind("So the answer is ", 0) == 0, share == 1.0) << e.completion;
    }
  }
  std::filesystem::remove_all(dir);
  nlohmann::json j = {{"train", {{{"task", "mathqa"}, {"synthetic_n", 10}, {"style", "ncot-check"}}}}};
  EXPECT_FALSE(trainers::SftConfigToJson(trainers::SftConfigFromJson(j, "c.json"))["train"][0].contains("lookup_share"));
  j["train"][0]["lookup_share"] = 0.25;
  const nlohmann::json written = trainers::SftConfigToJson(trainers::SftConfigFromJson(j, "c.json"));
  EXPECT_EQ(written["train"][0]["lookup_share"], 0.25);
  EXPECT_EQ(trainers::SftConfigFromJson(written, "c.json").train[0].lookup_share, 0.25);
}

trainers::SftConfig TinyConfig() { return test_support::TinySftConfig(); }

// An interrupted run resumed from its saved state ends with exactly the weights of an uninterrupted run
// (CPU, one thread).
TEST(SftResume, InterruptedThenResumedEqualsUninterrupted) {
  auto straight = TempDir("straight"), resumed = TempDir("resumed");
  trainers::SftConfig config = TinyConfig();
  trainers::SftRunResult a = trainers::RunSft(config, straight.string());
  EXPECT_EQ(a.steps, 12);
  trainers::SftRunResult first = trainers::RunSft(config, resumed.string(), nullptr, /*stop_after_steps=*/5);
  EXPECT_EQ(first.steps, 5);
  trainers::SftRunResult b = trainers::RunSft(config, resumed.string());
  EXPECT_TRUE(b.resumed);
  EXPECT_EQ(b.steps, 12);
  trainers::RuntimeConfig runtime{"cpu", "float32", 1};
  auto ma = trainers::LoadCheckpoint((straight / "checkpoint").string(), runtime);
  auto mb = trainers::LoadCheckpoint((resumed / "checkpoint").string(), runtime);
  auto pa = ma->named_parameters(), pb = mb->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& p : pa) {
    EXPECT_TRUE(torch::equal(p.value(), pb[p.key()])) << p.key();
  }
  EXPECT_DOUBLE_EQ(a.final_loss, b.final_loss);
  // The loss went down on this tiny problem.
  auto log = util::ReadJsonLines((straight / "metrics.jsonl").string());
  EXPECT_LT(log.back().value["loss"].get<double>(), log.front().value["loss"].get<double>());
}

// Continued training from init_checkpoint uses the checkpoint's own tokenizer (it used to train a fresh
// one, so the ids no longer matched the weights) and refuses one that lacks a needed special token.
TEST(SftInit, ContinuedTrainingKeepsTheCheckpointsTokenizer) {
  auto base = TempDir("init_base"), cont = TempDir("init_cont");
  trainers::SftConfig config = TinyConfig();
  config.max_steps = 3;
  config.warmup_steps = 1;
  const auto texts = trainers::BuildTrainingTexts(config, (base / "data").string());
  trainers::SaveInitialModel(config, texts, {"<|expert|>"}, (base / "checkpoint").string());
  config.init_checkpoint = (base / "checkpoint").string();
  // Different training data: a fresh tokenizer trained on it would differ.
  config.train[0].task = "svamp";
  config.tokenizer_vocab = 400;
  trainers::SftRunResult r = trainers::RunSft(config, cont.string());
  EXPECT_EQ(r.steps, 3);
  EXPECT_EQ(util::ReadJsonFile((cont / "tokenizer.json").string()),
            util::ReadJsonFile((base / "checkpoint" / "tokenizer.json").string()));
  EXPECT_EQ(util::ReadJsonFile((cont / "checkpoint" / "tokenizer.json").string()),
            util::ReadJsonFile((base / "checkpoint" / "tokenizer.json").string()));
  // A condition the checkpoint's tokenizer does not have: a clear input error.
  config.train[0].condition = "<|cond-x|>";
  try {
    trainers::RunSft(config, TempDir("init_missing").string());
    ADD_FAILURE() << "a missing special token was accepted";
  } catch (const util::InputError& e) {
    EXPECT_EQ(e.where().field, "init_checkpoint");
    EXPECT_NE(std::string(e.what()).find("<|cond-x|>"), std::string::npos) << e.what();
  }
}

}  // namespace
