// Sampling distributions, stop handling, hooks, per-request seeds and n samples of the engine.
#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>
#include <mutex>
#include <future>
#include <atomic>
#include <cmath>
#include <numeric>

#include "harness/util/error.h"
#include "harness/util/hashing.h"
#include "trainers/generation/engine.h"
#include "trainers/generation/sampling.h"
#include "trainers/model/decode_kernels.h"
#include "trainers/model/llama.h"
#include "trainers/model/vec_math.h"

namespace trainers {
namespace {

// A stop hook's reply that appends `tokens` (dropping the stop token when `drop_stop`).
trainers::HookReply Append(std::vector<int> tokens, bool drop_stop = false) {
  trainers::HookReply reply;
  reply.append = std::move(tokens);
  reply.drop_stop = drop_stop;
  return reply;
}

LlamaForCausalLM TinyModel() {
  ModelConfig c;
  c.vocab_size = 40, c.hidden_size = 32, c.intermediate_size = 48, c.num_hidden_layers = 2;
  c.num_attention_heads = 4, c.num_key_value_heads = 2, c.max_position_embeddings = 96;
  c.initializer_range = 0.5;
  return BuildModel(c, RuntimeConfig{"cpu", "float32", 1}, 17);
}

// Token id i decodes to one letter, so stop strings can be written by hand.
std::string Decode(const std::vector<int>& ids, bool) {
  std::string s;
  for (int id : ids) s += static_cast<char>('a' + id % 26);
  return s;
}

// Expected truncated softmax, computed independently of sampling.cc.
std::vector<double> Expected(const std::vector<float>& logits, const SamplingParams& p) {
  const size_t V = logits.size();
  std::vector<size_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return logits[a] > logits[b]; });
  std::vector<double> probs(V);
  double z = 0;
  for (size_t i = 0; i < V; ++i) z += std::exp(logits[i] / p.temperature);
  for (size_t i = 0; i < V; ++i) probs[i] = std::exp(logits[i] / p.temperature) / z;
  std::vector<double> out(V, 0.0);
  double before = 0, kept = 0;
  for (size_t r = 0; r < V; ++r) {
    if (p.top_k > 0 && static_cast<int>(r) >= p.top_k) break;
    if (r > 0 && p.top_p < 1 && before >= p.top_p) break;
    out[order[r]] = probs[order[r]];
    before += probs[order[r]];
    kept += probs[order[r]];
  }
  for (auto& x : out) x /= kept;
  return out;
}

TEST(Sampling, EmpiricalDistributionMatchesTruncatedSoftmax) {
  const std::vector<float> logits = {1.0f, 2.5f, 0.3f, 2.0f, -1.0f, 1.7f, 0.0f, 3.0f};
  const SamplingParams cases[] = {{1.0, 0, 1.0}, {0.7, 0, 1.0}, {1.0, 3, 1.0},
                                  {1.0, 0, 0.8}, {1.5, 4, 0.9}, {1.0, 1, 1.0}};
  const int64_t N = 40000, V = static_cast<int64_t>(logits.size());
  auto batch = at::tensor(logits).view({1, V}).expand({N, V}).contiguous();
  for (const auto& p : cases) {
    util::SplitMix64 rng(2024);
    std::vector<double> u(N);
    for (auto& x : u) x = rng.Uniform();
    auto out = SampleTokens(batch, std::vector<SamplingParams>(N, p), u);
    auto counts = at::bincount(out.tokens, {}, V).to(at::kDouble) / static_cast<double>(N);
    const auto expected = Expected(logits, p);
    auto dist = TruncatedDistribution(at::tensor(logits), p);
    for (int64_t v = 0; v < V; ++v) {
      // 40k draws: binomial standard error <= 0.0025.
      EXPECT_NEAR(counts[v].item<double>(), expected[v], 0.012)
          << "T=" << p.temperature << " k=" << p.top_k << " p=" << p.top_p << " v=" << v;
      EXPECT_NEAR(dist[v].item<double>(), expected[v], 1e-5);
    }
    // Log-probabilities: log-softmax at the temperature, before truncation.
    const int64_t t0 = out.tokens[0].item<int64_t>();
    double z = 0;
    for (float l : logits) z += std::exp(l / p.temperature);
    EXPECT_NEAR(out.logprobs[0].item<double>(), logits[t0] / p.temperature - std::log(z), 1e-5);
  }
}

// The CPU path draws the reference's tokens (LibTorch ops over the sorted vocabulary): 4,000 rows of random
// logits (peaked and flat, with ties) under each kind of truncation, every token equal, and the same
// log-probabilities.
TEST(Sampling, CpuDrawsEqualTheReference) {
  const int64_t N = 4000, V = 300;
  at::manual_seed(7);
  at::Tensor logits = at::randn({N, V}) * at::linspace(0.1, 8.0, N).view({N, 1});
  logits.narrow(0, 0, 50).narrow(1, 0, 10).fill_(2.0f);  // ties at the top
  util::SplitMix64 rng(99);
  std::vector<double> u(N);
  for (auto& x : u) x = rng.Uniform();
  const SamplingParams cases[] = {{1.0, 0, 1.0}, {0.6, 0, 0.95}, {1.0, 40, 1.0}, {1.3, 5, 0.5}, {1.0, 1, 1.0}};
  for (const auto& p : cases) {
    std::vector<SamplingParams> params(N, p);
    params[3].temperature = 0;  // a greedy row among sampled ones
    const auto fast = SampleTokens(logits, params, u), reference = SampleTokensReference(logits, params, u);
    EXPECT_TRUE(at::equal(fast.tokens, reference.tokens))
        << "T=" << p.temperature << " k=" << p.top_k << " p=" << p.top_p << ": "
        << fast.tokens.ne(reference.tokens).sum().item<int64_t>() << " of " << N << " differ";
    EXPECT_TRUE(at::allclose(fast.logprobs, reference.logprobs, 1e-6, 1e-6));
  }
}

TEST(Sampling, GreedyRowsTakeArgmaxNextToSampledRows) {
  auto logits = at::tensor({0.1f, 0.9f, 0.5f, 0.2f, 0.3f, 0.8f}).view({2, 3});
  auto out = SampleTokens(logits, {{0.0, 0, 1.0}, {1.0, 1, 1.0}}, {0.99, 0.99});
  EXPECT_EQ(out.tokens[0].item<int64_t>(), 1);
  EXPECT_EQ(out.tokens[1].item<int64_t>(), 2);  // top-1 of row 1
}

GenerateRequest Request(std::vector<int> prompt, int max_new, double temperature, uint64_t seed,
                        int n = 1) {
  GenerateRequest r;
  r.prompt = std::move(prompt);
  r.max_new_tokens = max_new;
  r.sampling.temperature = temperature;
  r.seed = seed;
  r.n = n;
  return r;
}

TEST(Engine, SamplesDoNotDependOnBatchComposition) {
  Engine engine(TinyModel());
  auto alone = engine.Generate({Request({3, 4, 5}, 12, 1.0, 42, 2)});
  auto mixed = engine.Generate({Request({9, 9, 9, 9, 9, 1}, 5, 0.8, 1, 3),
                                Request({3, 4, 5}, 12, 1.0, 42, 2), Request({7}, 20, 0.0, 0)});
  for (int k = 0; k < 2; ++k) {
    EXPECT_EQ(alone[0].completions[k].token_ids, mixed[1].completions[k].token_ids) << k;
    EXPECT_EQ(alone[0].completions[k].token_ids.size(), 12u);
  }
  // Different samples of one request differ; the same seed reproduces them.
  EXPECT_NE(alone[0].completions[0].token_ids, alone[0].completions[1].token_ids);
  auto again = engine.Generate({Request({3, 4, 5}, 12, 1.0, 42, 2)});
  EXPECT_EQ(again[0].completions[1].token_ids, alone[0].completions[1].token_ids);
  auto other_seed = engine.Generate({Request({3, 4, 5}, 12, 1.0, 43, 2)});
  EXPECT_NE(other_seed[0].completions[0].token_ids, alone[0].completions[0].token_ids);
}

TEST(Engine, CachedAndUncachedSamplingAgree) {
  auto model = TinyModel();
  Engine cached(model), uncached(model, nullptr, EngineOptions{false, 64});
  std::vector<GenerateRequest> reqs = {Request({3, 4, 5, 6, 7, 8}, 10, 0.9, 5, 2),
                                       Request({11}, 10, 1.0, 6)};
  reqs[0].sampling.top_p = 0.9;
  reqs[1].sampling.top_k = 5;
  auto a = cached.Generate(reqs), b = uncached.Generate(reqs);
  for (int r = 0; r < 2; ++r) {
    for (size_t k = 0; k < a[r].completions.size(); ++k) {
      EXPECT_EQ(a[r].completions[k].token_ids, b[r].completions[k].token_ids);
      for (size_t t = 0; t < a[r].completions[k].logprobs.size(); ++t) {
        EXPECT_NEAR(a[r].completions[k].logprobs[t], b[r].completions[k].logprobs[t], 1e-4);
      }
    }
  }
}

// The decode kernels against a double-precision triple loop, for every tile kernel this CPU runs
// (AVX-512 4 x 64 then 8 x 32 and 8 x 16 on what is left, AVX2 6 x 16, generic 4 x 8), on shapes that are and are not multiples of the row
// tile and of the panel width, with and without accumulation.
TEST(DecodeKernels, MatMulPackedMatchesNaive) {
  util::SplitMix64 rng(3);
  auto uniform = [&] { return static_cast<float>(rng.Uniform() * 2 - 1); };
  int tested = 0;
  for (const char* isa : {"generic", "avx2", "avx512"}) {
    if (!kernels::UseTileForTesting(isa)) continue;
    ++tested;
    SCOPED_TRACE(isa);
    for (int64_t m : {1, 3, 4, 5, 6, 7, 12, 13, 16}) {
      for (int64_t k : {1, 7, 64}) {
        for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 70, 130}) {
          for (bool accumulate : {false, true}) {
            std::vector<float> a(m * k), b(k * n), c(m * n);
            for (auto& v : a) v = uniform();
            for (auto& v : b) v = uniform();
            for (auto& v : c) v = uniform();
            std::vector<float> before = c;
            const std::vector<float> packed = kernels::PackPanels(b.data(), k, n);
            kernels::MatMulPacked(a.data(), k, m, k, packed.data(), n, c.data(), n, accumulate);
            for (int64_t r = 0; r < m; ++r) {
              for (int64_t j = 0; j < n; ++j) {
                double want = accumulate ? before[r * n + j] : 0.0;
                for (int64_t i = 0; i < k; ++i)
                  want += static_cast<double>(a[r * k + i]) * b[i * n + j];
                ASSERT_NEAR(c[r * n + j], want, 1e-4)
                    << "m=" << m << " k=" << k << " n=" << n << " r=" << r << " j=" << j;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_TRUE(kernels::UseTileForTesting("best"));
  EXPECT_GE(tested, 1);
}

// The unpacked variant with padded leading dimensions, a read row-major (ak = 1) and transposed
// (lda = 1), including n narrower than the AVX-512 tile and remainders after whole 64-column tiles of every
// narrower width (112 = 64 + 32 + 16, 120 = ... + 8, 125 = ... + 5 in plain loops).
TEST(DecodeKernels, MatMulStridedMatchesNaive) {
  util::SplitMix64 rng(4);
  auto uniform = [&] { return static_cast<float>(rng.Uniform() * 2 - 1); };
  for (const char* isa : {"generic", "avx2", "avx512"}) {
    if (!kernels::UseTileForTesting(isa)) continue;
    SCOPED_TRACE(isa);
    for (bool transposed : {false, true}) {
      for (int64_t m : {1, 5, 6, 13, 24}) {
        for (int64_t k : {1, 9, 40}) {
          for (int64_t n : {3, 8, 16, 32, 40, 70, 112, 120, 125}) {
            for (bool accumulate : {false, true}) {
              // a is stored [m, k] with row stride k + 3, or [k, m] with row stride m + 2.
              const int64_t lda = transposed ? 1 : k + 3, ak = transposed ? m + 2 : 1;
              const int64_t ldb = n + 5, ldc = n + 1;
              std::vector<float> a((transposed ? k * (m + 2) : m * (k + 3))), b(k * ldb), c(m * ldc);
              for (auto& v : a) v = uniform();
              for (auto& v : b) v = uniform();
              for (auto& v : c) v = uniform();
              const std::vector<float> before = c;
              kernels::MatMulStrided(a.data(), lda, ak, m, k, b.data(), ldb, n, c.data(), ldc, accumulate);
              for (int64_t r = 0; r < m; ++r) {
                for (int64_t j = 0; j < ldc; ++j) {
                  if (j >= n) {  // padding columns are left alone
                    ASSERT_EQ(c[r * ldc + j], before[r * ldc + j]);
                    continue;
                  }
                  double want = accumulate ? before[r * ldc + j] : 0.0;
                  for (int64_t i = 0; i < k; ++i) want += static_cast<double>(a[r * lda + i * ak]) * b[i * ldb + j];
                  ASSERT_NEAR(c[r * ldc + j], want, 1e-4) << "transposed=" << transposed << " m=" << m << " k=" << k
                                                         << " n=" << n << " r=" << r << " j=" << j;
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_TRUE(kernels::UseTileForTesting("best"));
}

// Packing straight from [out, in] row blocks gives the panels of their concatenation transposed.
TEST(DecodeKernels, PackPanelsFromRowsMatchesTransposedPack) {
  const int64_t k = 37;
  // 78 output rows: one full 64-column panel (AVX-512) and a partial one.
  const int64_t counts[] = {5, 70, 3};
  std::vector<std::vector<float>> parts;
  std::vector<std::pair<const float*, int64_t>> blocks;
  float next = 0;
  for (int64_t count : counts) {
    parts.emplace_back(count * k);
    for (auto& v : parts.back()) v = next++;
  }
  for (size_t i = 0; i < parts.size(); ++i) blocks.emplace_back(parts[i].data(), counts[i]);
  const int64_t n = 78;
  // b [k, n]: b[kk][j] = row j of the stacked weight, element kk.
  std::vector<float> transposed(k * n);
  int64_t j = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    for (int64_t r = 0; r < counts[i]; ++r, ++j) {
      for (int64_t kk = 0; kk < k; ++kk) transposed[kk * n + j] = parts[i][r * k + kk];
    }
  }
  EXPECT_EQ(kernels::PackPanelsFromRows(blocks, k), kernels::PackPanels(transposed.data(), k, n));
}

// The vectorised exp against libm's: relative error within a few ulp over the range softmax and
// SiLU feed it, exact 0 below -87 and saturation above 88.
TEST(DecodeKernels, Exp8MatchesExpf) {
  for (float x0 = -90.0f; x0 < 90.0f; x0 += 0.37f) {
    kernels::Vec8 x;
    for (int i = 0; i < 8; ++i) x[i] = x0 + 0.041f * i;
    const kernels::Vec8 y = kernels::Exp8(x);
    for (int i = 0; i < 8; ++i) {
      if (x[i] < -87.0f) {
        EXPECT_EQ(y[i], 0.0f) << x[i];
      } else if (x[i] <= 88.0f) {
        EXPECT_NEAR(y[i] / std::exp(x[i]), 1.0f, 1e-6f) << x[i];
      } else {
        EXPECT_NEAR(y[i] / std::exp(88.0f), 1.0f, 1e-6f) << x[i];
      }
    }
  }
}

// Grouped attention (vector and scalar paths) against a double-precision softmax: head sizes that
// are and are not multiples of 8, 1 to 3 query heads per key/value head, strided cache rows, cache
// lengths below, at and past one 8-key block.
TEST(DecodeKernels, AttendGroupIsSoftmaxWeightedValues) {
  util::SplitMix64 rng(5);
  auto uniform = [&] { return static_cast<float>(rng.Uniform() * 2 - 1); };
  for (int64_t d : {6, 8, 16, 24, 32, 64}) {
    for (int64_t groups : {1, 2, 3}) {
      for (int64_t len : {1, 7, 8, 21}) {
        const int64_t stride = d + 3;
        std::vector<float> q(groups * d), keys(len * stride), values(len * stride),
            scores(groups * len);
        std::vector<float> out(groups * d);
        for (auto& v : q) v = uniform();
        for (auto& v : keys) v = uniform();
        for (auto& v : values) v = uniform();
        kernels::AttendGroup(q.data(), groups, keys.data(), values.data(), len, d, stride,
                             scores.data(), out.data());
        for (int64_t g = 0; g < groups; ++g) {
          std::vector<double> w(len);
          double z = 0;
          for (int64_t s = 0; s < len; ++s) {
            double dot = 0;
            for (int64_t i = 0; i < d; ++i)
              dot += static_cast<double>(q[g * d + i]) * keys[s * stride + i];
            z += w[s] = std::exp(dot);
          }
          for (int64_t i = 0; i < d; ++i) {
            double want = 0;
            for (int64_t s = 0; s < len; ++s) want += w[s] / z * values[s * stride + i];
            EXPECT_NEAR(out[g * d + i], want, 1e-5)
                << "d=" << d << " groups=" << groups << " len=" << len << " g=" << g << " i=" << i;
          }
        }
      }
    }
  }
}

// The CPU decode kernels (engine default) against the LibTorch path for every decode step: ragged
// prompts, GQA, n samples fanned out, sampling, and a hook whose multi-token chunk goes through
// LibTorch between kernel steps (both paths share one cache layout).
TEST(Engine, CpuDecodeKernelsMatchTheLibTorchPath) {
  auto model = TinyModel();
  Engine fast(model, Decode),
      slow(model, Decode, EngineOptions{true, 64, /*cpu_decode_kernels=*/false});
  auto base = slow.Generate({Request({5, 6, 7}, 10, 0.0, 0)})[0].completions[0];
  const int marker = base.token_ids[2];
  StopHook hook = [&](const StopEvent& e) -> std::optional<HookReply> {
    if (e.completion->token_ids.size() > 20) return std::nullopt;
    return Append({30, 31, 32});
  };
  std::vector<GenerateRequest> reqs = {Request({5, 6, 7}, 24, 0.0, 0),
                                       Request({3, 4, 5, 6, 7, 8, 9, 10}, 24, 0.9, 5, 3),
                                       Request({11}, 24, 1.0, 6)};
  reqs[0].stop_token_ids = {marker};
  auto a = fast.Generate(reqs, hook), b = slow.Generate(reqs, hook);
  for (size_t r = 0; r < reqs.size(); ++r) {
    ASSERT_EQ(a[r].completions.size(), b[r].completions.size());
    for (size_t k = 0; k < a[r].completions.size(); ++k) {
      EXPECT_EQ(a[r].completions[k].token_ids, b[r].completions[k].token_ids) << r << "/" << k;
      ASSERT_EQ(a[r].completions[k].logprobs.size(), b[r].completions[k].logprobs.size());
      for (size_t t = 0; t < a[r].completions[k].logprobs.size(); ++t) {
        EXPECT_NEAR(a[r].completions[k].logprobs[t], b[r].completions[k].logprobs[t], 1e-4);
      }
    }
  }
  EXPECT_GT(
      std::count(a[0].completions[0].generated.begin(), a[0].completions[0].generated.end(), 0), 0)
      << "the hook never fired: the mixed path was not exercised";
}

TEST(Engine, StopTokensStopStringsAndLength) {
  Engine engine(TinyModel(), Decode);
  auto base = engine.Generate({Request({1, 2, 3}, 30, 0.0, 0)})[0].completions[0];
  ASSERT_EQ(base.token_ids.size(), 30u);
  EXPECT_EQ(base.finish_reason, "length");
  EXPECT_EQ(base.text, Decode(base.token_ids, true));

  // Stop token: the first occurrence of the 5th generated token ends the sequence, token kept.
  const int stop_tok = base.token_ids[4];
  const size_t first =
      std::find(base.token_ids.begin(), base.token_ids.end(), stop_tok) - base.token_ids.begin();
  auto r = Request({1, 2, 3}, 30, 0.0, 0);
  r.stop_token_ids = {stop_tok};
  auto c = engine.Generate({r})[0].completions[0];
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.token_ids,
            std::vector<int>(base.token_ids.begin(), base.token_ids.begin() + first + 1));
  EXPECT_EQ(c.logprobs.size(), c.token_ids.size());

  // Stop string spanning two tokens: text is cut before it.
  const std::string text = Decode(base.token_ids, true);
  const std::string stop = text.substr(6, 2);
  const size_t at = text.find(stop);
  r = Request({1, 2, 3}, 30, 0.0, 0);
  r.stop_strings = {"zzzzzzzzzz", stop};
  c = engine.Generate({r})[0].completions[0];
  EXPECT_EQ(c.finish_reason, "stop");
  EXPECT_EQ(c.matched_stop, stop);
  EXPECT_EQ(c.token_ids.size(), at + 2);
  EXPECT_EQ(c.text, text.substr(0, at));

  // Zero new tokens; and stop strings without a decoder are rejected.
  EXPECT_EQ(engine.Generate({Request({1}, 0, 0.0, 0)})[0].completions[0].token_ids.size(), 0u);
  Engine no_decode(TinyModel());
  EXPECT_THROW(no_decode.Generate({r}), util::InputError);
  EXPECT_THROW(no_decode.Generate({Request({}, 3, 0.0, 0)}), util::InputError);
  EXPECT_THROW(no_decode.Generate({Request({400}, 3, 0.0, 0)}), util::InputError);
}

TEST(Engine, HookAppendsTokensAndContinuesWithoutRecomputing) {
  auto model = TinyModel();
  Engine engine(model, Decode);
  auto base = engine.Generate({Request({5, 6, 7}, 10, 0.0, 0)})[0].completions[0];
  const int marker = base.token_ids[2];
  const std::vector<int> tool_output = {30, 31, 32};
  int calls = 0;
  StopHook hook = [&](const StopEvent& e) -> std::optional<HookReply> {
    EXPECT_EQ(e.stop_token_id, marker);
    if (calls++ > 0) return std::nullopt;  // second marker ends the sequence
    return Append(tool_output);
  };
  auto r = Request({5, 6, 7}, 10, 0.0, 0);
  r.stop_token_ids = {marker};
  const size_t first =
      std::find(base.token_ids.begin(), base.token_ids.end(), marker) - base.token_ids.begin();
  auto hooked = engine.Generate({r, Request({1, 2}, 6, 0.0, 0)}, hook)[0].completions[0];
  // Prefix up to the marker, then the appended tokens marked as not generated.
  ASSERT_GE(hooked.token_ids.size(), first + 1 + tool_output.size());
  EXPECT_EQ(std::vector<int>(hooked.token_ids.begin(), hooked.token_ids.begin() + first + 1),
            std::vector<int>(base.token_ids.begin(), base.token_ids.begin() + first + 1));
  for (size_t i = 0; i < tool_output.size(); ++i) {
    EXPECT_EQ(hooked.token_ids[first + 1 + i], tool_output[i]);
    EXPECT_EQ(hooked.generated[first + 1 + i], 0);
    EXPECT_EQ(hooked.logprobs[first + 1 + i], 0.0f);
  }
  const int generated = std::count(hooked.generated.begin(), hooked.generated.end(), 1);
  EXPECT_LE(generated, 10);
  // The continuation equals a fresh greedy run on prompt + everything up to the tool output.
  std::vector<int> prompt = {5, 6, 7};
  prompt.insert(prompt.end(), hooked.token_ids.begin(),
                hooked.token_ids.begin() + first + 1 + tool_output.size());
  const size_t rest = hooked.token_ids.size() - (first + 1 + tool_output.size());
  if (rest > 0) {
    auto fresh =
        engine.Generate({Request(prompt, static_cast<int>(rest), 0.0, 0)})[0].completions[0];
    EXPECT_EQ(std::vector<int>(hooked.token_ids.end() - rest, hooked.token_ids.end()),
              fresh.token_ids);
  }
}

// A reply that drops the stop token: the appended tokens take its place in the sequence and in the
// cache, so the continuation equals greedy decoding of prompt + prefix without the stop + appended.
TEST(Engine, HookCanReplaceTheStopToken) {
  auto model = TinyModel();
  Engine engine(model, Decode);
  auto base = engine.Generate({Request({5, 6, 7}, 12, 0.0, 0)})[0].completions[0];
  const int marker = base.token_ids[3];
  const size_t first = std::find(base.token_ids.begin(), base.token_ids.end(), marker) - base.token_ids.begin();
  const std::vector<int> hint = {20, 21};
  int calls = 0;
  StopHook hook = [&](const StopEvent& e) -> std::optional<HookReply> {
    if (calls++ > 0) return std::nullopt;
    HookReply reply;
    reply.append = hint;
    reply.drop_stop = true;
    return reply;
  };
  auto r = Request({5, 6, 7}, 12, 0.0, 0);
  r.stop_token_ids = {marker};
  auto hooked = engine.Generate({r}, hook)[0].completions[0];
  // The prefix before the marker, then the hint (not generated), never the marker itself at `first`.
  ASSERT_GE(hooked.token_ids.size(), first + hint.size());
  EXPECT_EQ(std::vector<int>(hooked.token_ids.begin(), hooked.token_ids.begin() + first),
            std::vector<int>(base.token_ids.begin(), base.token_ids.begin() + first));
  EXPECT_EQ(std::vector<int>(hooked.token_ids.begin() + first, hooked.token_ids.begin() + first + 2), hint);
  EXPECT_EQ(hooked.generated[first], 0);
  EXPECT_EQ(hooked.token_ids.size(), hooked.logprobs.size());
  EXPECT_EQ(hooked.token_ids.size(), hooked.generated.size());
  // The dropped marker counted as generated: first + (model tokens after the hint) + 1 <= 12.
  const int generated = std::count(hooked.generated.begin(), hooked.generated.end(), 1);
  EXPECT_LE(generated + 1, 12);
  std::vector<int> prompt = {5, 6, 7};
  prompt.insert(prompt.end(), hooked.token_ids.begin(), hooked.token_ids.begin() + first + hint.size());
  const size_t rest = hooked.token_ids.size() - (first + hint.size());
  ASSERT_GT(rest, 0u);
  auto fresh = engine.Generate({Request(prompt, static_cast<int>(rest), 0.0, 0)})[0].completions[0];
  EXPECT_EQ(std::vector<int>(hooked.token_ids.end() - rest, hooked.token_ids.end()), fresh.token_ids);
  // Dropping a stop string's token is refused; so is dropping without appending.
  auto rs = Request({5, 6, 7}, 12, 0.0, 0);
  rs.stop_strings = {Decode({base.token_ids[1]}, false)};
  StopHook drop = [&](const StopEvent&) -> std::optional<HookReply> { return Append({20}, true); };
  EXPECT_THROW(engine.Generate({rs}, drop), util::InputError);
  StopHook empty = [&](const StopEvent&) -> std::optional<HookReply> { return Append({}, true); };
  EXPECT_THROW(engine.Generate({r}, empty), util::InputError);
}

// Deferred replies (tool calls): a sequence waits outside the batch while the others keep decoding,
// then rejoins; every sequence equals what an immediate reply of the same tokens gives, on the
// cached path and on the uncached reference.
TEST(Engine, DeferredRepliesLetTheBatchKeepDecoding) {
  auto model = TinyModel();
  Engine engine(model, Decode);
  auto base = engine.Generate({Request({5, 6, 7}, 16, 0.0, 0)})[0].completions[0];
  const int marker = base.token_ids[2];
  std::vector<GenerateRequest> reqs = {Request({5, 6, 7}, 16, 0.0, 0), Request({3, 4, 9}, 16, 0.0, 0),
                                       Request({11, 12}, 16, 0.8, 3, 3)};
  for (auto& r : reqs) r.stop_token_ids = {marker};
  auto tool = [](const StopEvent& e) {
    return std::vector<int>{10 + e.request, 14, static_cast<int>(e.completion->token_ids.size() % 7) + 20};
  };
  auto immediate = [&](const StopEvent& e) -> std::optional<HookReply> {
    if (e.completion->token_ids.size() > 24) return std::nullopt;
    return HookReply{{25}, false, {}, {}};
  };
  StopHook now = [&](const StopEvent& e) -> std::optional<HookReply> {
    auto reply = immediate(e);
    if (reply) {
      auto more = tool(e);
      reply->append.insert(reply->append.end(), more.begin(), more.end());
    }
    return reply;
  };
  // The deferred tool "runs" on another thread for a while; other sequences decode meanwhile.
  std::vector<std::thread> threads;
  std::mutex mu;
  int deferred_calls = 0;
  StopHook later = [&](const StopEvent& e) -> std::optional<HookReply> {
    auto reply = immediate(e);
    if (!reply) return reply;
    auto promise = std::make_shared<std::promise<void>>();
    reply->ready = promise->get_future().share();
    {
      std::lock_guard<std::mutex> lock(mu);
      ++deferred_calls;
      threads.emplace_back([promise] {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        promise->set_value();
      });
    }
    auto tokens = tool(e);
    reply->resume = [tokens] { return tokens; };
    return reply;
  };
  auto a = engine.Generate(reqs, now);
  auto b = engine.Generate(reqs, later);
  Engine uncached(model, Decode, EngineOptions{false, 64, false});
  auto c = uncached.Generate(reqs, later);
  for (auto& t : threads) t.join();
  EXPECT_GT(deferred_calls, 3);
  for (size_t r = 0; r < reqs.size(); ++r) {
    for (size_t k = 0; k < a[r].completions.size(); ++k) {
      EXPECT_EQ(a[r].completions[k].token_ids, b[r].completions[k].token_ids) << r << "/" << k;
      EXPECT_EQ(a[r].completions[k].generated, b[r].completions[k].generated) << r << "/" << k;
      EXPECT_EQ(a[r].completions[k].token_ids, c[r].completions[k].token_ids) << r << "/" << k;
      EXPECT_EQ(a[r].completions[k].finish_reason, b[r].completions[k].finish_reason);
    }
  }
}

}  // namespace
}  // namespace trainers
