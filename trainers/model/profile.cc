// harness profile: timed training steps, prefill, decode, GEMM peak and MFU.
#include "trainers/model/profile.h"

#include <dlfcn.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>

#include "trainers/build_info.h"
#include "trainers/generation/engine.h"
#include "trainers/model/train_ops.h"
#include "trainers/model/fused_adamw.h"

namespace trainers {
namespace {

double Now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Process CPU seconds: on a machine shared with other jobs, CPU time per token is a far steadier
// measure than wall time (we run with a fixed thread count; with 1 thread the two agree when idle).
double CpuNow() {
  struct timespec ts {};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// OpenBLAS's own pool size (-1 when OpenBLAS is not the BLAS in this process).
int OpenBlasThreads() {
  using GetThreads = int (*)();
  auto get = reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  return get ? get() : -1;
}

double PeakRssMb() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // Linux reports KiB
}

// Best-of-5 fp32 (or model dtype) square GEMM throughput, FLOP/s.
double GemmPeak(const c10::TensorOptions& options) {
  const int64_t n = 1024;
  auto a = at::randn({n, n}, options), b = at::randn({n, n}, options);
  auto c = at::mm(a, b);  // warm-up
  double best = 0;
  for (int i = 0; i < 5; ++i) {
    const double t0 = Now();
    at::mm_out(c, a, b);
    c.sum().item<double>();  // forces completion on asynchronous devices
    best = std::max(best, 2.0 * n * n * n / (Now() - t0));
  }
  return best;
}

}  // namespace

double ForwardFlopsPerToken(const ModelConfig& c, double context) {
  const double h = c.hidden_size, kv = static_cast<double>(c.num_key_value_heads) * c.head_dim();
  const double matmul_params = c.num_hidden_layers * (2 * h * h + 2 * h * kv + 3 * h * c.intermediate_size) +
                               static_cast<double>(c.vocab_size) * h;
  return 2 * matmul_params + 4.0 * c.num_hidden_layers * context * h;
}

nlohmann::json ProfileModel(LlamaForCausalLM& model, const ProfileOptions& o) {
  const ModelConfig& config = model->config();
  const auto options = model->options();
  auto gen = at::detail::createCPUGenerator(o.seed);
  const auto info = GetTorchBuildInfo();
  nlohmann::json out = {
      {"parameters", config.NumParameters()},
      {"device", options.device().str()},
      {"dtype", DtypeName(options.dtype().toScalarType())},
      {"torch_version", info.torch_version},
      {"intra_op_threads", info.intra_op_threads},
      {"openblas_threads", OpenBlasThreads()},
      {"linear_backend", FusedLinearBackend()},
      {"malloc_tuning", info.malloc_tuning},
      {"batch", o.batch}, {"seq", o.seq}, {"new_tokens", o.new_tokens},
      {"train_batch", o.train_batch}, {"train_steps", o.train_steps},
  };
  const double peak = GemmPeak(options);
  out["gemm_peak_gflops"] = peak / 1e9;

  // 1. Training: next-token cross-entropy, backward, AdamW.
  {
    model->train();
    FusedAdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-4));
    auto ids = at::randint(0, config.vocab_size, {o.train_batch, o.seq + 1}, gen, at::kLong).to(options.device());
    auto inputs = ids.narrow(1, 0, o.seq), targets = ids.narrow(1, 1, o.seq).reshape({-1});
    auto step = [&] {
      auto logits = model->Forward(inputs);
      auto loss = at::cross_entropy_loss(logits.reshape({-1, config.vocab_size}), targets);
      optimizer.ClearGradients();
      loss.backward();
      optimizer.step();
      return loss.item<double>();
    };
    step();
    const double t0 = Now(), c0 = CpuNow();
    for (int i = 0; i < o.train_steps; ++i) step();
    const double dt = Now() - t0;
    const double tokens = static_cast<double>(o.train_batch) * o.seq * o.train_steps;
    const double tokens_per_s = tokens / dt;
    out["train_tokens_per_s"] = tokens_per_s;
    out["train_tokens_per_cpu_s"] = tokens / (CpuNow() - c0);
    out["train_mfu"] = tokens_per_s * 3 * ForwardFlopsPerToken(config, o.seq / 2.0) / peak;
    model->eval();
  }

  // 2. Prefill and 3. decode through the engine (greedy, no stops: every sequence runs N tokens).
  std::vector<GenerateRequest> requests;
  auto prompts = at::randint(0, config.vocab_size, {o.batch, o.seq}, gen, at::kLong);
  for (int b = 0; b < o.batch; ++b) {
    GenerateRequest r;
    for (int t = 0; t < o.seq; ++t) r.prompt.push_back(static_cast<int>(prompts[b][t].item<int64_t>()));
    r.max_new_tokens = o.new_tokens;
    r.sampling.temperature = 0;
    requests.push_back(std::move(r));
  }
  {
    c10::InferenceMode guard;
    auto ids = prompts.to(options.device());
    auto run_prefill = [&] {
      KvCache cache = KvCache::Allocate(config, o.batch, o.seq + o.new_tokens, options);
      auto hidden = model->ForwardCached(ids, std::vector<int64_t>(o.batch, o.seq), &cache);
      model->Logits(hidden.select(1, o.seq - 1)).sum().item<double>();
    };
    run_prefill();
    const double t0 = Now(), c0 = CpuNow();
    run_prefill();
    const double prefill_s = Now() - t0, prefill_cpu = CpuNow() - c0;
    out["prefill_tokens_per_s"] = static_cast<double>(o.batch) * o.seq / prefill_s;
    out["prefill_tokens_per_cpu_s"] = static_cast<double>(o.batch) * o.seq / prefill_cpu;
    out["prefill_mfu"] = out["prefill_tokens_per_s"].get<double>() * ForwardFlopsPerToken(config, o.seq / 2.0) / peak;

    Engine engine(model, nullptr, EngineOptions{true, std::max(o.batch, 1)});
    const double g0 = Now(), gc0 = CpuNow();
    engine.Generate(requests);
    const double gen_s = Now() - g0, gen_cpu = CpuNow() - gc0;
    const double decode_s = std::max(gen_s - prefill_s, 1e-9);
    const double new_tokens = static_cast<double>(o.batch) * o.new_tokens;
    out["generate_tokens_per_s"] = new_tokens / gen_s;   // prefill included, as the reference measures
    out["decode_tokens_per_s"] = new_tokens / decode_s;  // prefill time subtracted
    out["generate_tokens_per_cpu_s"] = new_tokens / gen_cpu;
    out["decode_tokens_per_cpu_s"] = new_tokens / std::max(gen_cpu - prefill_cpu, 1e-9);
    out["decode_mfu"] = out["decode_tokens_per_s"].get<double>() *
                        ForwardFlopsPerToken(config, o.seq + o.new_tokens / 2.0) / peak;
  }
  out["peak_rss_mb"] = PeakRssMb();
  return out;
}

}  // namespace trainers
