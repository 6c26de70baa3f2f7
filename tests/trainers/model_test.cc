// Model, checkpoint and golden tests: config presets, RoPE, padding masks, KV cache equivalence,
// safetensors and HF checkpoint round trips, bit-identical resume, and parity with the reference.
#include <cmath>
#include <set>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/optim/adamw.h>

#include "harness/util/error.h"
#include "harness/util/files.h"
#include "trainers/checkpoint/hf_checkpoint.h"
#include "trainers/checkpoint/safetensors.h"
#include "trainers/checkpoint/training_state.h"
#include "trainers/generation/engine.h"
#include "trainers/model/config.h"
#include "trainers/model/fused_adamw.h"
#include "trainers/model/llama.h"
#include "trainers/model/train_ops.h"

namespace trainers {
namespace {

const std::string kFixtures = std::string(HARNESS_TEST_FIXTURES) + "/trainers";

ModelConfig TinyConfig(bool tied = false) {
  ModelConfig c;
  c.vocab_size = 50, c.hidden_size = 32, c.intermediate_size = 48, c.num_hidden_layers = 2;
  c.num_attention_heads = 4, c.num_key_value_heads = 2, c.max_position_embeddings = 64;
  c.initializer_range = 0.3, c.tie_word_embeddings = tied;
  return c;
}

LlamaForCausalLM TinyModel(uint64_t seed = 7, bool tied = false) {
  return BuildModel(TinyConfig(tied), RuntimeConfig{"cpu", "float32", 1}, seed);
}

std::string TempDir(const std::string& name) {
  std::string dir = ::testing::TempDir() + "engine_" + name + "_" + std::to_string(::getpid());
  util::MakeDirs(dir);
  return dir;
}

at::Tensor Ids(const std::vector<int64_t>& ids) { return at::tensor(ids, at::kLong).view({1, -1}); }

// ---------------------------------------------------------------------------------------------
// Config

TEST(ModelConfig, PresetSizes) {
  struct Case { const char* name; double low, high; } cases[] = {
      {"nano", 0.8e6, 1.3e6}, {"micro", 5e6, 7e6}, {"small", 22e6, 28e6}};
  for (const auto& c : cases) {
    const ModelConfig config = PresetConfig(c.name, 512);
    EXPECT_GE(config.NumParameters(), c.low) << c.name;
    EXPECT_LE(config.NumParameters(), c.high) << c.name;
    LlamaForCausalLM model(config);
    long long counted = 0;
    for (const auto& p : model->parameters()) counted += p.numel();
    EXPECT_EQ(counted, config.NumParameters()) << c.name;
  }
  EXPECT_THROW(PresetConfig("huge", 512), util::InputError);
}

TEST(ModelConfig, RejectsImpossibleShapes) {
  struct Case { const char* key; nlohmann::json value; } cases[] = {
      {"num_attention_heads", 5}, {"num_key_value_heads", 3}, {"hidden_size", -1},
      {"vocab_size", "many"}, {"tie_word_embeddings", 1}, {"hidden_act", "gelu"}, {"not_a_key", 1}};
  for (const auto& c : cases) {
    try {
      OverrideConfig(TinyConfig(), {{c.key, c.value}}, "overrides.json");
      ADD_FAILURE() << c.key << " accepted";
    } catch (const util::InputError& e) {
      EXPECT_EQ(e.where().file, "overrides.json");
      EXPECT_EQ(e.where().field, c.key);
    }
  }
}

TEST(ModelConfig, HfJsonRoundTrip) {
  ModelConfig c = TinyConfig(true);
  c.eos_token_id = 2, c.rope_theta = 5e5, c.value_head = true;
  const ModelConfig back = FromHfConfigJson(ToHfConfigJson(c, "float32"), "config.json");
  EXPECT_EQ(ToHfConfigJson(back, "float32"), ToHfConfigJson(c, "float32"));
  // HF defaults: absent num_key_value_heads = num_attention_heads; absent tie = true.
  auto json = ToHfConfigJson(c, "float32");
  json.erase("num_key_value_heads");
  json.erase("tie_word_embeddings");
  const ModelConfig d = FromHfConfigJson(json, "config.json");
  EXPECT_EQ(d.num_key_value_heads, 4);
  EXPECT_TRUE(d.tie_word_embeddings);
}

TEST(ModelConfig, UnavailableDeviceIsAnError) {
  EXPECT_THROW(ResolveDevice("tpu"), util::InputError);
  EXPECT_THROW(ResolveDevice("cuda:99"), util::InputError);
  EXPECT_THROW(ResolveDtype("int8"), util::InputError);
  EXPECT_EQ(ResolveDevice("cpu"), c10::Device(c10::kCPU));
}

// ---------------------------------------------------------------------------------------------
// Model structure and math

TEST(Llama, ParameterNamesAreHfNames) {
  ModelConfig c = TinyConfig();
  c.value_head = true;
  LlamaForCausalLM model(c);
  std::set<std::string> names;
  for (const auto& item : model->named_parameters()) names.insert(item.key());
  std::set<std::string> expected = {"model.embed_tokens.weight", "model.norm.weight", "lm_head.weight",
                                    "value_head.weight", "value_head.bias"};
  for (int i = 0; i < 2; ++i) {
    const std::string p = "model.layers." + std::to_string(i) + ".";
    for (const char* n : {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                          "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight",
                          "mlp.down_proj.weight", "input_layernorm.weight", "post_attention_layernorm.weight"}) {
      expected.insert(p + n);
    }
  }
  EXPECT_EQ(names, expected);
  LlamaForCausalLM tied(TinyConfig(true));
  EXPECT_EQ(tied->named_parameters().find("lm_head.weight"), nullptr);
}

TEST(Llama, InitIsSeeded) {
  auto a = TinyModel(3), b = TinyModel(3), c = TinyModel(4);
  const auto& wa = a->model->embed_tokens->weight;
  EXPECT_TRUE(at::equal(wa, b->model->embed_tokens->weight));
  EXPECT_FALSE(at::equal(wa, c->model->embed_tokens->weight));
  EXPECT_TRUE(at::equal(a->model->norm->weight, at::ones({32})));
  EXPECT_NEAR(wa.std().item<double>(), 0.3, 0.02);
}

TEST(Rope, MatchesClosedFormAndIsRelative) {
  // head_dim 4: pairs (x0, x2) and (x1, x3) rotate by p*theta^0 and p*theta^(-1/2).
  const double theta = 100.0;
  auto [cos, sin] = RotaryCosSin(at::tensor({3}, at::kLong), 4, theta);
  auto x = at::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({1, 4});
  auto y = ApplyRotary(x, cos, sin);
  const double a0 = 3.0, a1 = 3.0 / std::sqrt(theta);
  const double expected[] = {1 * std::cos(a0) - 3 * std::sin(a0), 2 * std::cos(a1) - 4 * std::sin(a1),
                             3 * std::cos(a0) + 1 * std::sin(a0), 4 * std::cos(a1) + 2 * std::sin(a1)};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[0][i].item<double>(), expected[i], 1e-5) << i;
  // Position 0 is the identity; <R_m q, R_n k> depends only on m - n.
  auto [c0, s0] = RotaryCosSin(at::tensor({0}, at::kLong), 4, theta);
  EXPECT_TRUE(at::allclose(ApplyRotary(x, c0, s0), x));
  auto q = at::randn({1, 8}), k = at::randn({1, 8});
  auto dot = [&](int64_t m, int64_t n) {
    auto [cm, sm] = RotaryCosSin(at::tensor({m}, at::kLong), 8, 10000.0);
    auto [cn, sn] = RotaryCosSin(at::tensor({n}, at::kLong), 8, 10000.0);
    return (ApplyRotary(q, cm, sm) * ApplyRotary(k, cn, sn)).sum().item<double>();
  };
  EXPECT_NEAR(dot(5, 2), dot(13, 10), 1e-4);
  EXPECT_NEAR(dot(7, 7), dot(0, 0), 1e-4);
}

TEST(Attention, PaddingLeftOrRightDoesNotChangeRealTokens) {
  auto model = TinyModel();
  at::NoGradGuard no_grad;
  const std::vector<std::vector<int64_t>> rows = {{5, 9, 12, 3, 4}, {7, 1}, {30, 31, 32}};
  for (bool left : {true, false}) {
    auto ids = at::zeros({3, 5}, at::kLong), mask = at::zeros({3, 5}, at::kLong);
    for (int b = 0; b < 3; ++b) {
      const int64_t n = rows[b].size(), off = left ? 5 - n : 0;
      ids[b].narrow(0, off, n).copy_(at::tensor(rows[b], at::kLong));
      mask[b].narrow(0, off, n).fill_(1);
    }
    auto batched = model->Forward(ids, mask);
    for (int b = 0; b < 3; ++b) {
      const int64_t n = rows[b].size(), off = left ? 5 - n : 0;
      auto single = model->Forward(Ids(rows[b]))[0];
      EXPECT_TRUE(at::allclose(batched[b].narrow(0, off, n), single, 1e-5, 1e-5))
          << (left ? "left" : "right") << " row " << b;
    }
  }
}

TEST(KvCache, RaggedChunksMatchFullForward) {
  auto model = TinyModel();
  at::NoGradGuard no_grad;
  const std::vector<int64_t> a = {4, 8, 15, 16, 23, 42, 7}, b = {1, 2, 3, 4};
  auto full_a = model->Forward(Ids(a))[0], full_b = model->Forward(Ids(b))[0];
  KvCache cache = KvCache::Allocate(model->config(), 2, /*capacity=*/3, model->options());
  // Chunks: a gets 3, 1, 3 tokens; b gets 2, 2, 0 (padding rows and a growing cache).
  const std::vector<std::vector<int64_t>> take_a = {{0, 3}, {3, 1}, {4, 3}}, take_b = {{0, 2}, {2, 2}, {4, 0}};
  for (size_t step = 0; step < 3; ++step) {
    const int64_t na = take_a[step][1], nb = take_b[step][1], width = std::max(na, nb);
    auto ids = at::zeros({2, width}, at::kLong);
    for (int64_t t = 0; t < na; ++t) ids[0][t] = a[take_a[step][0] + t];
    for (int64_t t = 0; t < nb; ++t) ids[1][t] = b[take_b[step][0] + t];
    auto hidden = model->ForwardCached(ids, {na, nb}, &cache);
    auto logits = model->Logits(hidden);
    if (na > 0) {
      EXPECT_TRUE(at::allclose(logits[0].narrow(0, 0, na), full_a.narrow(0, take_a[step][0], na), 1e-5, 1e-5));
    }
    if (nb > 0) {
      EXPECT_TRUE(at::allclose(logits[1].narrow(0, 0, nb), full_b.narrow(0, take_b[step][0], nb), 1e-5, 1e-5));
    }
  }
  EXPECT_EQ(cache.lengths, (std::vector<int64_t>{7, 4}));
  EXPECT_GE(cache.capacity, 7);
}

// Dropping rows (finished sequences) moves the kept rows down in place: their filled slots equal a gathered
// copy's, the lengths follow them, and a cache extracted beforehand keeps its own copy. Replicating rows
// (fan-out to samples) still gathers.
TEST(KvCache, SelectRowsKeepsEachRowsFilledSlots) {
  auto model = TinyModel();
  KvCache cache = KvCache::Allocate(model->config(), 4, 6, model->options());
  cache.lengths = {3, 6, 2, 5};
  for (auto* list : {&cache.keys, &cache.values}) {
    for (auto& t : *list) t.copy_(at::randn(t.sizes()));
  }
  const KvCache before = cache.ExtractRows({0, 1, 2, 3});
  const KvCache parked = cache.ExtractRows({3});
  const std::vector<int64_t> keep = {1, 3};
  cache.SelectRows(keep);
  EXPECT_EQ(cache.lengths, (std::vector<int64_t>{6, 5}));
  ASSERT_EQ(cache.keys[0].size(0), 2);
  for (size_t l = 0; l < cache.keys.size(); ++l) {
    for (size_t i = 0; i < keep.size(); ++i) {
      const int64_t n = before.lengths[keep[i]];
      EXPECT_TRUE(at::equal(cache.keys[l][i].narrow(1, 0, n), before.keys[l][keep[i]].narrow(1, 0, n))) << l << " " << i;
      EXPECT_TRUE(at::equal(cache.values[l][i].narrow(1, 0, n), before.values[l][keep[i]].narrow(1, 0, n))) << l;
    }
    EXPECT_TRUE(at::equal(parked.keys[l][0], before.keys[l][3])) << l;  // the extracted copy is untouched
  }
  EXPECT_EQ(parked.lengths, (std::vector<int64_t>{5}));
  cache.SelectRows({1, 1, 0});  // fan-out: gathered
  EXPECT_EQ(cache.lengths, (std::vector<int64_t>{5, 5, 6}));
  EXPECT_TRUE(at::equal(cache.keys[0][1].narrow(1, 0, 5), before.keys[0][3].narrow(1, 0, 5)));
  EXPECT_TRUE(at::equal(cache.keys[0][2].narrow(1, 0, 6), before.keys[0][1].narrow(1, 0, 6)));
}

// ---------------------------------------------------------------------------------------------
// Golden parity with scripts/reference_model.py (fixture written by scripts/make_golden.py)

struct Golden {
  std::vector<std::vector<int>> prompts, greedy;
  std::vector<at::Tensor> logits;
};

Golden LoadGolden() {
  auto file = ReadSafetensors(kFixtures + "/golden.safetensors");
  Golden g;
  for (int i = 0; file.tensors.count("prompt." + std::to_string(i)); ++i) {
    auto to_vec = [](const at::Tensor& t) {
      std::vector<int> v;
      for (int64_t j = 0; j < t.numel(); ++j) v.push_back(static_cast<int>(t[j].item<int64_t>()));
      return v;
    };
    g.prompts.push_back(to_vec(file.tensors.at("prompt." + std::to_string(i))));
    g.greedy.push_back(to_vec(file.tensors.at("greedy." + std::to_string(i))));
    g.logits.push_back(file.tensors.at("logits." + std::to_string(i)));
  }
  return g;
}

TEST(Golden, LogitsMatchReference) {
  auto model = LoadCheckpoint(kFixtures + "/tiny_llama", RuntimeConfig{"cpu", "float32", 1});
  const Golden g = LoadGolden();
  ASSERT_EQ(g.prompts.size(), 5u);
  at::NoGradGuard no_grad;
  for (size_t i = 0; i < g.prompts.size(); ++i) {
    std::vector<int64_t> ids(g.prompts[i].begin(), g.prompts[i].end());
    auto logits = model->Forward(Ids(ids))[0];
    EXPECT_LT((logits - g.logits[i]).abs().max().item<double>(), 1e-4) << "prompt " << i;
  }
  // The same logits with the 5 ragged prompts batched through the KV cache path.
  KvCache cache = KvCache::Allocate(model->config(), 5, 16, model->options());
  auto ids = at::zeros({5, 10}, at::kLong);
  std::vector<int64_t> lens;
  for (int b = 0; b < 5; ++b) {
    lens.push_back(g.prompts[b].size());
    for (size_t t = 0; t < g.prompts[b].size(); ++t) ids[b][t] = g.prompts[b][t];
  }
  auto logits = model->Logits(model->ForwardCached(ids, lens, &cache));
  for (int b = 0; b < 5; ++b) {
    EXPECT_LT((logits[b].narrow(0, 0, lens[b]) - g.logits[b]).abs().max().item<double>(), 1e-4) << b;
  }
}

TEST(Golden, GreedyMatchesReferenceTokenForToken) {
  auto model = LoadCheckpoint(kFixtures + "/tiny_llama", RuntimeConfig{"cpu", "float32", 1});
  const Golden g = LoadGolden();
  for (bool cache : {true, false}) {
    Engine engine(model, nullptr, EngineOptions{cache, 64});
    for (int batch : {1, 5}) {
      for (size_t first = 0; first < g.prompts.size(); first += batch) {
        std::vector<GenerateRequest> requests;
        for (size_t i = first; i < first + batch; ++i) {
          GenerateRequest r;
          r.prompt = g.prompts[i];
          r.max_new_tokens = static_cast<int>(g.greedy[i].size());
          r.sampling.temperature = 0;
          requests.push_back(r);
        }
        auto results = engine.Generate(requests);
        for (int j = 0; j < batch; ++j) {
          const auto& c = results[j].completions.at(0);
          EXPECT_EQ(c.token_ids, g.greedy[first + j]) << "cache=" << cache << " batch=" << batch << " prompt=" << first + j;
          EXPECT_EQ(c.finish_reason, "length");
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Safetensors and checkpoints

// ---------------------------------------------------------------------------------------------
// Fused CPU training ops (train_ops.h) against the LibTorch expressions they replace: outputs and
// gradients on random inputs, widths that are and are not multiples of the 8-float vector.

// Forward values and the gradients of `inputs` for upstream gradient `up`.
std::vector<at::Tensor> ValueAndGrads(const at::Tensor& out, const at::Tensor& up, std::vector<at::Tensor> inputs) {
  for (auto& t : inputs) t.mutable_grad() = at::Tensor();
  out.backward(up);
  std::vector<at::Tensor> result{out.detach()};
  for (auto& t : inputs) result.push_back(t.grad().clone());
  return result;
}

void ExpectAllClose(const std::vector<at::Tensor>& got, const std::vector<at::Tensor>& want, double tol,
                    const std::string& what) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = (got[i] - want[i]).abs().max().item<double>();
    EXPECT_LT(err, tol) << what << " tensor " << i << " (0 = output, then input gradients)";
  }
}

TEST(FusedOps, RmsNormMatchesLibTorch) {
  at::manual_seed(1);
  for (int64_t n : {20, 32, 37}) {
    auto x = at::randn({3, 5, n}).requires_grad_(true);
    auto w = (at::randn({n}) * 0.5 + 1).requires_grad_(true);
    auto up = at::randn({3, 5, n});
    auto want = ValueAndGrads(w * (x * at::rsqrt(x.pow(2).mean(-1, true) + 1e-5)), up, {x, w});
    auto got = ValueAndGrads(FusedRmsNorm(x, w, 1e-5), up, {x, w});
    ExpectAllClose(got, want, 2e-5, "n=" + std::to_string(n));
  }
}

TEST(FusedOps, SwiGluMatchesLibTorch) {
  at::manual_seed(2);
  for (int64_t inter : {13, 16, 40}) {
    auto gu = (at::randn({4, 3, 2 * inter}) * 6).requires_grad_(true);  // reaches the exp clamps
    auto up = at::randn({4, 3, inter});
    auto want = ValueAndGrads(at::silu(gu.narrow(-1, 0, inter)) * gu.narrow(-1, inter, inter), up, {gu});
    auto got = ValueAndGrads(FusedSwiGlu(gu), up, {gu});
    ExpectAllClose(got, want, 2e-5, "inter=" + std::to_string(inter));
  }
}

// The model's linear layers: values and all three gradients against at::linear, with and without bias, on 2-D
// and 3-D inputs (a transposed, non-contiguous one too) and an empty batch; no graph under NoGradGuard.
TEST(FusedOps, LinearMatchesLibTorch) {
  at::manual_seed(4);
  for (int64_t rows : {1, 7, 300}) {
    for (bool with_bias : {false, true}) {
      auto x = at::randn({rows, 3, 37}).requires_grad_(true);
      auto w = at::randn({70, 37}).requires_grad_(true);
      auto b = with_bias ? at::randn({70}).requires_grad_(true) : at::Tensor();
      auto up = at::randn({rows, 3, 70});
      std::vector<at::Tensor> inputs{x, w};
      if (with_bias) inputs.push_back(b);
      auto want = ValueAndGrads(at::linear(x, w, b), up, inputs);
      auto got = ValueAndGrads(FusedLinear(x, w, b), up, inputs);
      ExpectAllClose(got, want, 1e-4, "rows=" + std::to_string(rows) + " bias=" + std::to_string(with_bias));
    }
  }
  auto xt = at::randn({37, 50}).t().requires_grad_(true);  // [50, 37], not contiguous
  auto w = at::randn({16, 37}).requires_grad_(true);
  auto up = at::randn({50, 16});
  ExpectAllClose(ValueAndGrads(FusedLinear(xt, w, at::Tensor()), up, {xt, w}),
                 ValueAndGrads(at::linear(xt, w), up, {xt, w}), 1e-4, "transposed x");
  {
    torch::NoGradGuard no_grad;
    EXPECT_FALSE(FusedLinear(xt, w, at::Tensor()).requires_grad());
  }
  auto empty = at::randn({0, 37}).requires_grad_(true);
  auto wb = at::randn({16, 37}).requires_grad_(true);
  auto y = FusedLinear(empty, wb, at::Tensor());
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{0, 16}));
  y.sum().backward();
  EXPECT_EQ(wb.grad().abs().sum().item<double>(), 0.0);
  EXPECT_EQ(empty.grad().numel(), 0);
  // Only the input that needs it gets a gradient (the reference model's frozen weights, the critic warm-up).
  auto frozen = at::randn({16, 37});
  auto x2 = at::randn({5, 37}).requires_grad_(true);
  FusedLinear(x2, frozen, at::Tensor()).sum().backward();
  EXPECT_TRUE(x2.grad().defined());
  EXPECT_FALSE(frozen.grad().defined());
  EXPECT_TRUE(std::string(FusedLinearBackend()) == "dnnl" || std::string(FusedLinearBackend()) == "blas");
}

// WSRL's networks as one node: values and the gradients of the input and of every parameter against the
// LibTorch expression, for the critic's shape (4 members, 64 wide, one output) at row counts short of a
// 32-row block, past one and past a 512-row chunk, and for shapes off the kernel's tiles (widths 37, 20 and
// 6, 3 hidden layers, several outputs, one member, 9 inputs: the input gradient as a product, not dot products).
std::vector<at::Tensor> MlpParams(int64_t e, int64_t in, int64_t h, int64_t layers, int64_t out) {
  std::vector<at::Tensor> params;
  int64_t width = in;
  for (int64_t l = 0; l <= layers; ++l) {
    const int64_t next = l == layers ? out : h;
    params.push_back((at::randn({e, width, next}) / std::sqrt(static_cast<double>(width))).requires_grad_(true));
    params.push_back((at::randn({e, 1, next}) * 0.3).requires_grad_(true));
    if (l < layers) {
      params.push_back((at::randn({e, 1, next}) * 0.3 + 1).requires_grad_(true));
      params.push_back((at::randn({e, 1, next}) * 0.3).requires_grad_(true));
    }
    width = next;
  }
  return params;
}

at::Tensor ReferenceMlp(const at::Tensor& x, const std::vector<at::Tensor>& p, int64_t layers) {
  at::Tensor h = x;
  for (int64_t l = 0; l < layers; ++l) {
    h = at::matmul(h, p[4 * l]) + p[4 * l + 1];
    h = at::relu(at::layer_norm(h, {h.size(-1)}, {}, {}, 1e-5) * p[4 * l + 2] + p[4 * l + 3]);
  }
  return at::matmul(h, p[4 * layers]) + p[4 * layers + 1];
}

TEST(FusedOps, EnsembleMlpMatchesLibTorch) {
  at::manual_seed(5);
  struct Case {
    int64_t e, in, h, layers, out, rows;
  };
  for (const Case& c : {Case{4, 4, 64, 2, 1, 1}, Case{4, 4, 64, 2, 1, 70}, Case{4, 4, 64, 2, 1, 600},
                        Case{1, 2, 37, 2, 4, 45}, Case{2, 5, 20, 3, 3, 33}, Case{3, 1, 8, 1, 9, 7},
                        Case{2, 9, 6, 2, 2, 40}}) {
    auto x = at::randn({c.rows, c.in}).requires_grad_(true);
    auto params = MlpParams(c.e, c.in, c.h, c.layers, c.out);
    auto up = at::randn({c.e, c.rows, c.out});
    std::vector<at::Tensor> inputs{x};
    for (const auto& p : params) inputs.push_back(p);
    const std::string what = "E=" + std::to_string(c.e) + " in=" + std::to_string(c.in) + " H=" + std::to_string(c.h) +
                             " L=" + std::to_string(c.layers) + " out=" + std::to_string(c.out) +
                             " rows=" + std::to_string(c.rows);
    auto want = ValueAndGrads(ReferenceMlp(x, params, c.layers), up, inputs);
    auto got = ValueAndGrads(FusedEnsembleMlp(x, params, c.layers, 1e-5), up, inputs);
    ExpectAllClose(got, want, 1e-4, what);
  }
  // No graph without a gradient to take; an input that is the only thing needing one (the actor's loss through
  // a frozen critic) gets it and the parameters get none.
  auto x = at::randn({10, 4});
  auto params = MlpParams(2, 4, 16, 2, 1);
  {
    torch::NoGradGuard no_grad;
    EXPECT_FALSE(FusedEnsembleMlp(x, params, 2, 1e-5).requires_grad());
  }
  for (auto& p : params) p.requires_grad_(false);
  auto action = at::randn({10, 4}).requires_grad_(true);
  FusedEnsembleMlp(action, params, 2, 1e-5).sum().backward();
  auto want = action.grad().clone();
  action.mutable_grad() = at::Tensor();
  ReferenceMlp(action, params, 2).sum().backward();
  EXPECT_LT((want - action.grad()).abs().max().item<double>(), 1e-4);
  for (auto& p : params) EXPECT_FALSE(p.grad().defined());
  EXPECT_THROW(FusedEnsembleMlp(at::randn({10, 3}), params, 2, 1e-5), c10::Error);  // 3 inputs, W_1 has 4 rows
  auto wrong = params;
  wrong[5] = at::randn({2, 1, 15});  // the second hidden layer's bias one short
  EXPECT_THROW(FusedEnsembleMlp(x, wrong, 2, 1e-5), c10::Error);
  EXPECT_THROW(FusedEnsembleMlp(x, params, 3, 1e-5), c10::Error);  // too few tensors for 3 hidden layers
}

// The LibTorch path of AttentionImpl::forward without a cache, written out with repeated KV heads.
at::Tensor ReferenceAttention(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin,
                              const at::Tensor& valid, int64_t nh, int64_t nkv) {
  const int64_t B = qkv.size(0), T = qkv.size(1), D = qkv.size(2) / (nh + 2 * nkv);
  auto c = cos.unsqueeze(2), s = sin.unsqueeze(2);
  auto q = ApplyRotary(qkv.narrow(-1, 0, nh * D).view({B, T, nh, D}), c, s).transpose(1, 2);
  auto k = ApplyRotary(qkv.narrow(-1, nh * D, nkv * D).view({B, T, nkv, D}), c, s).transpose(1, 2);
  auto v = qkv.narrow(-1, (nh + nkv) * D, nkv * D).view({B, T, nkv, D}).transpose(1, 2);
  k = k.repeat_interleave(nh / nkv, 1);
  v = v.repeat_interleave(nh / nkv, 1);
  auto allowed = at::ones({T, T}, at::kBool).tril().view({1, 1, T, T});
  if (valid.defined()) allowed = allowed & valid.to(at::kBool).view({B, 1, 1, T});
  auto scores = at::matmul(q, k.transpose(2, 3)) + at::zeros(allowed.sizes()).masked_fill(allowed.logical_not(), -1e30);
  return at::matmul(at::softmax(scores, -1), v).transpose(1, 2).reshape({B, T, nh * D});
}

TEST(FusedOps, CausalAttentionMatchesLibTorch) {
  at::manual_seed(3);
  struct Shape { int64_t nh, nkv, d; };
  for (Shape shape : {Shape{4, 2, 8}, Shape{6, 2, 6}, Shape{3, 3, 10}, Shape{8, 4, 32}}) {
    // T = 40: several 24-row strips of the causal products and a partial 16-column score tile.
    for (int64_t T : {1, 5, 11, 40}) {
      const int64_t B = 3, width = (shape.nh + 2 * shape.nkv) * shape.d;
      // Key masks: none; ragged left padding; right padding with one row fully padded (its
      // queries attend uniformly to every key, as the finite additive mask makes them).
      auto left = at::ones({B, T}, at::kLong), right = at::ones({B, T}, at::kLong);
      left[0].narrow(0, 0, T / 2).zero_();
      left[2].narrow(0, 0, T - 1).zero_();
      right[1].narrow(0, (T + 1) / 2, T / 2).zero_();
      right[2].zero_();
      for (const at::Tensor& mask : {at::Tensor(), left, right}) {
        auto positions = at::randint(0, 40, {B, T}, at::kLong);
        auto [cos, sin] = RotaryCosSin(positions, shape.d, 10000.0);
        auto qkv = at::randn({B, T, width}).requires_grad_(true);
        auto up = at::randn({B, T, shape.nh * shape.d});
        auto want = ValueAndGrads(ReferenceAttention(qkv, cos, sin, mask, shape.nh, shape.nkv), up, {qkv});
        auto got = ValueAndGrads(FusedCausalAttention(qkv, cos, sin, mask, shape.nh, shape.nkv), up, {qkv});
        ExpectAllClose(got, want, 2e-5,
                       "nh=" + std::to_string(shape.nh) + " nkv=" + std::to_string(shape.nkv) + " d=" +
                           std::to_string(shape.d) + " T=" + std::to_string(T) +
                           " mask=" + (mask.defined() ? (mask.equal(left) ? "left" : "right") : "none"));
      }
    }
  }
}

TEST(Safetensors, RoundTripsDtypesAndMetadata) {
  std::vector<std::pair<std::string, at::Tensor>> tensors = {
      {"f32", at::randn({3, 4})}, {"bf16", at::randn({5}).to(at::kBFloat16)},
      {"f16", at::randn({2, 2, 2}).to(at::kHalf)}, {"i64", at::arange(7, at::kLong)},
      {"empty", at::zeros({0, 3})}};
  auto file = ParseSafetensors(SerializeSafetensors(tensors, {{"format", "pt"}}), "mem");
  EXPECT_EQ(file.metadata.at("format"), "pt");
  ASSERT_EQ(file.tensors.size(), tensors.size());
  for (const auto& [name, t] : tensors) {
    const auto& back = file.tensors.at(name);
    EXPECT_EQ(back.scalar_type(), t.scalar_type()) << name;
    EXPECT_TRUE(at::equal(back, t)) << name;
  }
}

TEST(Safetensors, RejectsMalformedFiles) {
  const std::string good = SerializeSafetensors({{"w", at::ones({2, 2})}});
  std::string wrong_len = good;
  wrong_len[0] = static_cast<char>(0xff), wrong_len[1] = static_cast<char>(0xff);
  auto header = [](const std::string& json) {
    std::string out(8, '\0');
    for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((json.size() >> (8 * i)) & 0xff);
    return out + json + std::string(16, '\0');
  };
  const std::string cases[] = {
      good.substr(0, 5),                                                                    // truncated length
      wrong_len,                                                                            // header past EOF
      header("{not json"),                                                                  // malformed header
      header(R"({"w": {"dtype": "Q7", "shape": [2], "data_offsets": [0, 8]}})"),            // unknown dtype
      header(R"({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 8]}})"),        // size != shape
      header(R"({"w": {"dtype": "F32", "shape": [8], "data_offsets": [0, 32]}})"),          // past the data
      header(R"({"w": {"dtype": "F32", "shape": [2]}})"),                                   // missing field
      // The element count overflows 64 bits to 0, which matched the empty span before and reached
      // at::empty as a c10::Error; and a dimension above INT64_MAX.
      header(R"({"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})"),
      header(R"({"w": {"dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 0]}})"),
      header(R"({"w": {"dtype": "F32", "shape": [5], "data_offsets": [0, 16]}})"),          // more than the data
  };
  for (const auto& bytes : cases) EXPECT_THROW(ParseSafetensors(bytes, "bad.safetensors"), util::InputError);
  // Empty tensors, whatever their other dimensions, and scalars still load.
  const auto ok = ParseSafetensors(header(R"({"e": {"dtype": "I64", "shape": [7, 0], "data_offsets": [0, 0]},)"
                                          R"( "s": {"dtype": "U8", "shape": [], "data_offsets": [0, 1]}})"),
                                   "ok.safetensors");
  EXPECT_EQ(ok.tensors.at("e").sizes().vec(), (std::vector<int64_t>{7, 0}));
  EXPECT_EQ(ok.tensors.at("s").dim(), 0);
}

TEST(Checkpoint, SaveLoadRoundTripAndHfFiles) {
  for (bool tied : {false, true}) {
    auto model = TinyModel(11, tied);
    const std::string dir = TempDir(tied ? "ckpt_tied" : "ckpt");
    SaveCheckpoint(dir, model, R"({"model": {}})");
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "generation_config.json"}) {
      EXPECT_TRUE(util::FileExists(dir + "/" + f)) << f;
    }
    auto loaded = LoadCheckpoint(dir, RuntimeConfig{"cpu", "float32", 1});
    auto original = model->named_parameters();
    for (const auto& item : loaded->named_parameters()) {
      EXPECT_TRUE(at::equal(item.value(), original[item.key()])) << item.key();
    }
    EXPECT_EQ(ReadCheckpointConfig(dir).tie_word_embeddings, tied);
  }
}

TEST(Checkpoint, LoadsBf16AndFp16Weights) {
  auto model = TinyModel(5);
  for (auto dtype : {at::kBFloat16, at::kHalf}) {
    const std::string dir = TempDir("half");
    SaveCheckpoint(dir, model, "");
    std::vector<std::pair<std::string, at::Tensor>> half;
    for (const auto& item : model->named_parameters()) half.emplace_back(item.key(), item.value().to(dtype));
    WriteSafetensors(dir + "/model.safetensors", half);
    auto loaded = LoadCheckpoint(dir, RuntimeConfig{"cpu", "float32", 1});
    for (const auto& [name, t] : half) {
      EXPECT_TRUE(at::equal(loaded->named_parameters()[name], t.to(at::kFloat))) << name;
    }
  }
}

TEST(Checkpoint, MissingMisshapenOrExtraTensorsNameTheTensor) {
  auto model = TinyModel(5);
  struct Case { const char* name; std::string drop, reshape, add; } cases[] = {
      {"missing", "model.layers.1.mlp.up_proj.weight", "", ""},
      {"misshapen", "", "model.layers.0.self_attn.k_proj.weight", ""},
      {"extra", "", "", "model.layers.9.mlp.up_proj.weight"}};
  for (const auto& c : cases) {
    const std::string dir = TempDir(std::string("bad_") + c.name);
    SaveCheckpoint(dir, model, "");
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& item : model->named_parameters()) {
      if (item.key() == c.drop) continue;
      tensors.emplace_back(item.key(), item.key() == c.reshape ? at::zeros({3, 3}) : item.value());
    }
    if (!c.add.empty()) tensors.emplace_back(c.add, at::zeros({2}));
    WriteSafetensors(dir + "/model.safetensors", tensors);
    try {
      LoadCheckpoint(dir, RuntimeConfig{"cpu", "float32", 1});
      ADD_FAILURE() << c.name << " loaded";
    } catch (const util::InputError& e) {
      const std::string field = c.drop + c.reshape + c.add;
      EXPECT_EQ(e.where().field, field) << c.name;
      EXPECT_EQ(e.where().file, dir + "/model.safetensors");
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Exact resume

// Trains `steps` AdamW steps on batches drawn from `gen`; returns the losses.
std::vector<float> Train(LlamaForCausalLM& model, torch::optim::AdamW& opt, at::Generator& gen, int steps) {
  std::vector<float> losses;
  for (int s = 0; s < steps; ++s) {
    auto ids = at::randint(0, 50, {2, 9}, gen, at::kLong);
    auto logits = model->Forward(ids.narrow(1, 0, 8));
    auto loss = at::cross_entropy_loss(logits.reshape({-1, 50}), ids.narrow(1, 1, 8).reshape({-1}));
    opt.zero_grad();
    loss.backward();
    opt.step();
    losses.push_back(loss.item<float>());
  }
  return losses;
}

// The fused step against LibTorch's AdamW on identical parameters and gradients: two groups (one
// without weight decay), several steps; amsgrad (not fused) falls back to LibTorch's step exactly.
TEST(FusedAdamW, MatchesLibTorchAdamW) {
  for (bool amsgrad : {false, true}) {
    at::manual_seed(5);
    std::vector<at::Tensor> ours, theirs;
    for (auto sizes : std::vector<std::vector<int64_t>>{{37, 11}, {8}, {3, 5, 7}}) {
      ours.push_back(at::randn(sizes).requires_grad_(true));
      theirs.push_back(ours.back().detach().clone().requires_grad_(true));
    }
    auto options = torch::optim::AdamWOptions(3e-2).betas({0.8, 0.95}).eps(1e-6).weight_decay(0.1).amsgrad(amsgrad);
    auto no_decay = options;
    no_decay.weight_decay(0.0);
    auto groups = [&](std::vector<at::Tensor>& p) {
      std::vector<torch::optim::OptimizerParamGroup> g;
      g.emplace_back(std::vector<at::Tensor>{p[0], p[2]}, std::make_unique<torch::optim::AdamWOptions>(options));
      g.emplace_back(std::vector<at::Tensor>{p[1]}, std::make_unique<torch::optim::AdamWOptions>(no_decay));
      return g;
    };
    FusedAdamW fused(groups(ours), options);
    torch::optim::AdamW reference(groups(theirs), options);
    for (int step = 0; step < 6; ++step) {
      fused.ClearGradients();
      reference.zero_grad();
      for (size_t i = 0; i < ours.size(); ++i) {
        auto g = at::randn(ours[i].sizes());
        ours[i].mutable_grad() = g.clone();
        theirs[i].mutable_grad() = g.clone();
      }
      fused.step();
      reference.step();
    }
    for (size_t i = 0; i < ours.size(); ++i) {
      const double err = (ours[i] - theirs[i]).abs().max().item<double>();
      if (amsgrad) {
        EXPECT_EQ(err, 0.0) << "parameter " << i;
      } else {
        EXPECT_LT(err, 1e-6) << "parameter " << i;
      }
    }
    // Same state under the same keys: what SaveTrainingState reads.
    for (size_t i = 0; i < ours.size(); ++i) {
      auto& a = static_cast<torch::optim::AdamWParamState&>(
          *fused.state().at(OptimizerStateKey(ours[i])));
      auto& b = static_cast<torch::optim::AdamWParamState&>(
          *reference.state().at(OptimizerStateKey(theirs[i])));
      EXPECT_EQ(a.step(), 6);
      EXPECT_LT((a.exp_avg() - b.exp_avg()).abs().max().item<double>(), 1e-6);
      EXPECT_LT((a.exp_avg_sq() - b.exp_avg_sq()).abs().max().item<double>(), 1e-6);
    }
  }
}

// Regression: FusedAdamW writes parameters through raw pointers, so the no-grad q/k/v and gate/up
// concatenations (cached by version counter for generation) kept the weights of before the step. Evaluation
// and PPO rollouts during training then ran a mix of old and new weights (in-training held-out accuracy
// read 0-4% for a model scoring ~80% when reloaded). After a step, the no-grad forward must equal the
// grad-mode forward of the same weights.
TEST(FusedAdamW, StepInvalidatesTheNoGradWeightCache) {
  ModelConfig c = PresetConfig("nano", 50);
  c.hidden_size = 32, c.intermediate_size = 64, c.num_hidden_layers = 2, c.num_attention_heads = 2,
  c.num_key_value_heads = 1;
  auto model = BuildModel(c, RuntimeConfig{"cpu", "float32", 1}, 4);
  const auto ids = torch::tensor({{1, 5, 9, 13, 17}}, torch::kLong);
  {
    torch::NoGradGuard no_grad;
    model->Forward(ids);  // builds the cache
  }
  FusedAdamW opt(model->parameters(), torch::optim::AdamWOptions(0.05));
  for (int step = 0; step < 2; ++step) {
    opt.ClearGradients();
    model->Forward(ids).pow(2).mean().backward();
    opt.step();
  }
  const auto with_grad = model->Forward(ids).detach();
  torch::NoGradGuard no_grad;
  const auto cached = model->Forward(ids);
  EXPECT_TRUE(torch::allclose(cached, with_grad, 1e-5, 1e-5))
      << "max diff " << (cached - with_grad).abs().max().item<double>();
}

// The fused ops and FusedAdamW split their loops over the intra-op threads (by rows, by sequence,
// by slices of 65,536 values); the splits must not change a single bit, and sizes here are past
// every split point: 300 rows (several 64-row chunks, RMSNorm's weight-gradient partials among
// them), 5 sequences with left padding, a 200,000-value parameter (several slices and a tail).
TEST(FusedOps, ResultsDoNotDependOnThreadCount) {
  const int threads_before = at::get_num_threads();
  auto run = [](int threads) {
    at::set_num_threads(threads);
    at::manual_seed(9);
    std::vector<at::Tensor> results;
    auto x = at::randn({3, 100, 37}).requires_grad_(true);
    auto w = (at::randn({37}) * 0.5 + 1).requires_grad_(true);
    for (auto& t : ValueAndGrads(FusedRmsNorm(x, w, 1e-5), at::randn({3, 100, 37}), {x, w})) results.push_back(t);
    auto gu = (at::randn({3, 100, 2 * 40}) * 6).requires_grad_(true);
    for (auto& t : ValueAndGrads(FusedSwiGlu(gu), at::randn({3, 100, 40}), {gu})) results.push_back(t);
    auto mx = at::randn({1100, 4}).requires_grad_(true);
    auto mlp = MlpParams(3, 4, 64, 2, 1);
    std::vector<at::Tensor> mlp_inputs{mx};
    for (const auto& p : mlp) mlp_inputs.push_back(p);
    for (auto& t : ValueAndGrads(FusedEnsembleMlp(mx, mlp, 2, 1e-5), at::randn({3, 1100, 1}), mlp_inputs)) {
      results.push_back(t);
    }
    const int64_t B = 5, T = 30, nh = 4, nkv = 2, d = 8;
    auto mask = at::ones({B, T}, at::kLong);
    mask[1].narrow(0, 0, 7).zero_();
    mask[4].narrow(0, 0, T - 2).zero_();
    auto [cos, sin] = RotaryCosSin(at::arange(T, at::kLong).repeat({B, 1}), d, 10000.0);
    auto qkv = at::randn({B, T, (nh + 2 * nkv) * d}).requires_grad_(true);
    for (auto& t : ValueAndGrads(FusedCausalAttention(qkv, cos, sin, mask, nh, nkv), at::randn({B, T, nh * d}), {qkv})) {
      results.push_back(t);
    }
    auto big = at::randn({200000}).requires_grad_(true), small = at::randn({3, 7}).requires_grad_(true);
    FusedAdamW optimizer({big, small}, torch::optim::AdamWOptions(1e-2).weight_decay(0.1));
    for (int step = 0; step < 3; ++step) {
      big.mutable_grad() = at::randn({200000});
      small.mutable_grad() = at::randn({3, 7});
      optimizer.step();
    }
    results.push_back(big.detach().clone());
    results.push_back(small.detach().clone());
    return results;
  };
  const auto one = run(1), two = run(2);
  at::set_num_threads(threads_before);
  ASSERT_EQ(one.size(), two.size());
  for (size_t i = 0; i < one.size(); ++i) EXPECT_TRUE(at::equal(one[i], two[i])) << "result " << i;
}

TEST(TrainingState, ResumeGivesBitIdenticalContinuation) {
  const std::string dir = TempDir("resume");
  auto opts = torch::optim::AdamWOptions(1e-2).weight_decay(0.1);
  auto model = TinyModel(21);
  FusedAdamW opt(model->parameters(), opts);
  at::Generator gen = at::detail::createCPUGenerator(99);
  Train(model, opt, gen, 3);
  SaveCheckpoint(dir, model, "");
  TrainingState state;
  state.step = 3;
  state.data_position = {{"epoch", 0}, {"index", 6}};
  state.torch_rng_state = GeneratorState(gen);
  SaveTrainingState(dir, model, opt, state);
  const auto expected = Train(model, opt, gen, 3);

  auto resumed = LoadCheckpoint(dir, RuntimeConfig{"cpu", "float32", 1});
  resumed->train();
  FusedAdamW opt2(resumed->parameters(), opts);
  const TrainingState back = LoadTrainingState(dir, resumed, opt2);
  EXPECT_EQ(back.step, 3);
  EXPECT_EQ(back.data_position["index"], 6);
  at::Generator gen2 = at::detail::createCPUGenerator(0);
  SetGeneratorState(gen2, back.torch_rng_state);
  const auto got = Train(resumed, opt2, gen2, 3);
  EXPECT_EQ(got, expected);  // bit-identical losses
  auto a = model->named_parameters();
  for (const auto& item : resumed->named_parameters()) EXPECT_TRUE(at::equal(item.value(), a[item.key()])) << item.key();

  // A torn save (tensor file replaced after the JSON) is detected.
  WriteSafetensors(dir + "/trainer_state.safetensors", {{"x", at::zeros({1})}});
  EXPECT_THROW(LoadTrainingState(dir, resumed, opt2), util::InputError);
}

// ---------------------------------------------------------------------------------------------
// CUDA (skipped without a CUDA device): CUDA tensors take the LibTorch paths, never the CPU kernels.

#define SKIP_WITHOUT_CUDA() \
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device in this build or machine"

TEST(Cuda, GoldenLogitsAndGreedyTokens) {
  SKIP_WITHOUT_CUDA();
  auto model = LoadCheckpoint(kFixtures + "/tiny_llama", RuntimeConfig{"cuda", "float32", 1});
  ASSERT_TRUE(model->options().device().is_cuda());
  const Golden g = LoadGolden();
  {
    at::NoGradGuard no_grad;
    for (size_t i = 0; i < g.prompts.size(); ++i) {
      std::vector<int64_t> ids(g.prompts[i].begin(), g.prompts[i].end());
      auto logits = model->Forward(Ids(ids).to(model->options().device()))[0].cpu();
      EXPECT_LT((logits - g.logits[i]).abs().max().item<double>(), 1e-3) << "prompt " << i;
    }
  }
  for (bool cache : {true, false}) {
    Engine engine(model, nullptr, EngineOptions{cache, 64});
    std::vector<GenerateRequest> requests;
    for (size_t i = 0; i < g.prompts.size(); ++i) {
      GenerateRequest r;
      r.prompt = g.prompts[i];
      r.max_new_tokens = static_cast<int>(g.greedy[i].size());
      r.sampling.temperature = 0;
      requests.push_back(r);
    }
    auto results = engine.Generate(requests);
    for (size_t i = 0; i < g.prompts.size(); ++i) {
      EXPECT_EQ(results[i].completions.at(0).token_ids, g.greedy[i]) << "cache=" << cache << " prompt=" << i;
    }
  }
}

// FusedAdamW on CUDA parameters takes LibTorch's step; the result tracks the CPU's fused step, and the
// training state saves and restores from the GPU.
TEST(Cuda, TrainingStepsTrackTheCpuAndResume) {
  SKIP_WITHOUT_CUDA();
  auto opts = torch::optim::AdamWOptions(1e-2).weight_decay(0.1);
  auto cpu = TinyModel(21);
  auto gpu = BuildModel(TinyConfig(), RuntimeConfig{"cuda", "float32", 1}, 21);
  FusedAdamW cpu_opt(cpu->parameters(), opts), gpu_opt(gpu->parameters(), opts);
  auto step = [](LlamaForCausalLM& model, FusedAdamW& opt, const at::Tensor& batch) {
    auto ids = batch.to(model->options().device());
    auto logits = model->Forward(ids.narrow(1, 0, 8));
    auto loss = at::cross_entropy_loss(logits.reshape({-1, 50}), ids.narrow(1, 1, 8).reshape({-1}));
    opt.ClearGradients();
    loss.backward();
    opt.step();
  };
  at::Generator gen = at::detail::createCPUGenerator(99);
  for (int i = 0; i < 3; ++i) {
    auto batch = at::randint(0, 50, {2, 9}, gen, at::kLong);
    step(cpu, cpu_opt, batch);
    step(gpu, gpu_opt, batch);
  }
  auto on_cpu = cpu->named_parameters();
  auto on_gpu = gpu->named_parameters();
  for (const auto& item : on_gpu) {
    ASSERT_TRUE(item.value().is_cuda()) << item.key();
    // Adam's normalised step amplifies rounding differences a little; a wrong update would be ~lr.
    EXPECT_LT((item.value().cpu() - on_cpu[item.key()]).abs().max().item<double>(), 1e-3) << item.key();
    auto& s = static_cast<torch::optim::AdamWParamState&>(*gpu_opt.state().at(OptimizerStateKey(item.value())));
    EXPECT_EQ(s.step(), 3);
    EXPECT_TRUE(s.exp_avg().is_cuda());
  }
  const std::string dir = TempDir("cuda_resume");
  SaveCheckpoint(dir, gpu, "");
  TrainingState state;
  state.step = 3;
  SaveTrainingState(dir, gpu, gpu_opt, state);
  auto resumed = LoadCheckpoint(dir, RuntimeConfig{"cuda", "float32", 1});
  FusedAdamW resumed_opt(resumed->parameters(), opts);
  EXPECT_EQ(LoadTrainingState(dir, resumed, resumed_opt).step, 3);
  for (const auto& item : resumed->named_parameters()) {
    auto& a = static_cast<torch::optim::AdamWParamState&>(*resumed_opt.state().at(OptimizerStateKey(item.value())));
    auto& b = static_cast<torch::optim::AdamWParamState&>(*gpu_opt.state().at(OptimizerStateKey(on_gpu[item.key()])));
    EXPECT_TRUE(a.exp_avg().is_cuda()) << item.key();
    EXPECT_TRUE(at::equal(a.exp_avg_sq(), b.exp_avg_sq())) << item.key();
  }
}

// bf16 on the GPU: forward close to fp32, and sampled generation stays in the vocabulary.
TEST(Cuda, Bf16ForwardAndSampling) {
  SKIP_WITHOUT_CUDA();
  auto fp32 = BuildModel(TinyConfig(), RuntimeConfig{"cuda", "float32", 1}, 7);
  auto bf16 = BuildModel(TinyConfig(), RuntimeConfig{"cuda", "bfloat16", 1}, 7);
  ASSERT_EQ(bf16->options().dtype(), at::kBFloat16);
  at::NoGradGuard no_grad;
  auto ids = Ids({1, 5, 9, 13, 17, 21}).to(fp32->options().device());
  auto want = fp32->Forward(ids).cpu();
  auto got = bf16->Forward(ids).to(at::kFloat).cpu();
  EXPECT_LT((got - want).abs().max().item<double>(), 0.05 * want.abs().max().item<double>() + 0.05);
  Engine engine(bf16, nullptr, EngineOptions{});
  GenerateRequest r;
  r.prompt = {1, 5, 9};
  r.n = 3;
  r.max_new_tokens = 10;
  r.sampling.temperature = 1.0;
  r.seed = 4;
  const auto results = engine.Generate({r});
  for (const auto& c : results.at(0).completions) {
    ASSERT_EQ(c.token_ids.size(), 10u);
    for (int t : c.token_ids) EXPECT_TRUE(t >= 0 && t < 50) << t;
  }
}

}  // namespace
}  // namespace trainers
