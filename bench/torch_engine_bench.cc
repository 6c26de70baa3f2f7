// Model engine throughput on the nano preset: decode with the KV cache against full recomputation
// (the baseline, same run), and one training step. The Python comparison is `harness profile` vs
// `scripts/reference_model.py bench` (README performance section).
#include <benchmark/benchmark.h>

#include <ATen/ATen.h>

#include "trainers/build_info.h"
#include "trainers/generation/engine.h"
#include "trainers/generation/sampling.h"
#include "trainers/model/config.h"
#include "trainers/model/decode_kernels.h"
#include "trainers/model/fused_adamw.h"
#include "trainers/model/llama.h"

namespace {

trainers::LlamaForCausalLM& Nano() {
  static trainers::LlamaForCausalLM model =
      trainers::BuildModel(trainers::PresetConfig("nano", 267), trainers::RuntimeConfig{"cpu", "float32", 0}, 1);
  return model;
}

std::vector<trainers::GenerateRequest> Requests(int batch, int prompt_len, int new_tokens) {
  std::vector<trainers::GenerateRequest> out(batch);
  for (int b = 0; b < batch; ++b) {
    for (int t = 0; t < prompt_len; ++t) out[b].prompt.push_back((b * 31 + t * 7) % 256);
    out[b].max_new_tokens = new_tokens;
    out[b].sampling.temperature = 0;
  }
  return out;
}

void BM_Generate(benchmark::State& state, bool cache) {
  trainers::Engine engine(Nano(), nullptr, trainers::EngineOptions{cache, 64});
  const auto requests = Requests(static_cast<int>(state.range(0)), 64, 32);
  for (auto _ : state) benchmark::DoNotOptimize(engine.Generate(requests));
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.range(0)) * 32 * state.iterations(),
                                                  benchmark::Counter::kIsRate);
  state.counters["threads"] = trainers::GetTorchBuildInfo().intra_op_threads;
}
BENCHMARK_CAPTURE(BM_Generate, kv_cache, true)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Generate, recompute_baseline, false)->Arg(16)->Unit(benchmark::kMillisecond);

// Drawing one token per row at T = 1 (a rollout's sampling step), batch 64 over a 721-token vocabulary: the CPU
// path against the reference (LibTorch ops over the sorted vocabulary), same logits and uniforms.
void BM_Sample(benchmark::State& state, bool reference) {
  const int64_t B = 64, V = 721;
  at::manual_seed(1);
  const at::Tensor logits = at::randn({B, V}) * 4.0;  // peaked rows, as a trained model's
  const std::vector<trainers::SamplingParams> params(B);
  std::vector<double> u(B);
  for (int64_t b = 0; b < B; ++b) u[b] = (b + 0.5) / B;
  for (auto _ : state) {
    benchmark::DoNotOptimize(reference ? trainers::SampleTokensReference(logits, params, u)
                                       : trainers::SampleTokens(logits, params, u));
  }
  state.counters["rows/s"] = benchmark::Counter(static_cast<double>(B) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(BM_Sample, cpu_rows, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Sample, reference_baseline, true)->Unit(benchmark::kMicrosecond);

void BM_TrainStep(benchmark::State& state) {
  auto& model = Nano();
  model->train();
  trainers::FusedAdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-4));
  const int64_t batch = 8, seq = 128, vocab = model->config().vocab_size;
  auto ids = at::randint(0, vocab, {batch, seq + 1}, at::kLong);
  for (auto _ : state) {
    auto logits = model->Forward(ids.narrow(1, 0, seq));
    auto loss = at::cross_entropy_loss(logits.reshape({-1, vocab}), ids.narrow(1, 1, seq).reshape({-1}));
    optimizer.ClearGradients();
    loss.backward();
    optimizer.step();
  }
  model->eval();
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(batch * seq * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TrainStep)->Unit(benchmark::kMillisecond);

// Where a micro training step's time goes: first arg 0 forward + loss, 1 adds the backward, 2 adds
// the AdamW step (the full step `harness profile` times); second arg the thread count (torch's and
// OpenBLAS's). Time is wall time, the CPU column all threads' CPU time. At 2 threads run it with
// OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4, as `harness` runs itself (harness/cli/openmp_env.h).
void BM_MicroTrainParts(benchmark::State& state) {
  static trainers::LlamaForCausalLM model =
      trainers::BuildModel(trainers::PresetConfig("micro", 267), trainers::RuntimeConfig{"cpu", "float32", 1}, 1);
  model->train();
  trainers::FusedAdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-4));
  const int64_t batch = 8, seq = 128, vocab = model->config().vocab_size;
  auto ids = at::randint(0, vocab, {batch, seq + 1}, at::kLong);
  const int64_t parts = state.range(0);
  const int threads_before = at::get_num_threads();  // the nano benchmarks run at their own count
  trainers::SetTorchThreads(static_cast<int>(state.range(1)));
  for (auto _ : state) {
    auto logits = model->Forward(ids.narrow(1, 0, seq));
    auto loss = at::cross_entropy_loss(logits.reshape({-1, vocab}), ids.narrow(1, 1, seq).reshape({-1}));
    if (parts >= 1) {
      optimizer.ClearGradients();
      loss.backward();
    }
    if (parts >= 2) optimizer.step();
  }
  model->eval();
  trainers::SetTorchThreads(threads_before);
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(batch * seq * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MicroTrainParts)
    ->ArgsProduct({{0, 1, 2}, {1, 2}})
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime()
    ->UseRealTime();

// The decode GEMM (kernels::MatMulPacked) at a decode batch of 16 rows on micro's shapes
// (k x n: qkv 256x512, gate/up 256x2048, down 1024x256), in GFLOP/s to set against the GEMM peak
// `harness profile` reports.
void BM_DecodeMatMul(benchmark::State& state) {
  const int64_t m = 16, k = state.range(0), n = state.range(1);
  std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
  const auto packed = trainers::kernels::PackPanels(b.data(), k, n);
  for (auto _ : state) {
    trainers::kernels::MatMulPacked(a.data(), k, m, k, packed.data(), n, c.data(), n, /*accumulate=*/false);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * m * k * n * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DecodeMatMul)->Args({256, 512})->Args({256, 2048})->Args({1024, 256})->MeasureProcessCPUTime();

}  // namespace

BENCHMARK_MAIN();
