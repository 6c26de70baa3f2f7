#include "trainers/model/fused_adamw.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include <ATen/Parallel.h>

#include "trainers/model/train_kernels.h"

namespace trainers {
namespace {

bool Fusable(const torch::Tensor& p, const torch::optim::AdamWOptions& options) {
  const auto& g = p.grad();
  return !options.amsgrad() && p.device().is_cpu() && p.scalar_type() == at::kFloat && p.is_contiguous() &&
         (!g.defined() || (g.layout() == at::kStrided && g.scalar_type() == at::kFloat && g.is_contiguous()));
}

// One parameter's update, or a slice of one: the unit of work split over the intra-op threads.
struct UpdateSlice {
  float *p, *m, *v;
  const float* g;
  int64_t n;
  kernels::AdamWScalars scalars;
};

// Elements per slice: large enough (256 KB of each array) that waking a thread is paid for, small
// enough that micro's largest weight (gate/up, 524K values) still splits across 2 threads.
constexpr int64_t kSliceElements = 1 << 16;

}  // namespace

torch::Tensor FusedAdamW::step(LossClosure closure) {
  for (auto& group : param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    for (const auto& p : group.params()) {
      if (!Fusable(p, options)) return AdamW::step(std::move(closure));
    }
  }
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    at::AutoGradMode enable_grad(true);
    loss = closure();
  }
  // The scalars are per parameter (each has its own step count); the element-wise updates of all
  // parameters then run as one parallel loop over slices, so that small parameters do not each pay
  // for a parallel region.
  std::vector<UpdateSlice> slices;
  for (auto& group : param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    const auto [beta1, beta2] = options.betas();
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      // The state LibTorch's AdamW::step would create, under its key.
      auto& slot = state()[OptimizerStateKey(p)];
      if (!slot) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, at::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, at::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& s = static_cast<torch::optim::AdamWParamState&>(*slot);
      s.step(s.step() + 1);
      const double bias_correction1 = 1 - std::pow(beta1, s.step());
      const double bias_correction2 = 1 - std::pow(beta2, s.step());
      const kernels::AdamWScalars scalars{static_cast<float>(1 - options.lr() * options.weight_decay()),
                                          static_cast<float>(beta1),
                                          static_cast<float>(beta2),
                                          static_cast<float>(options.lr() / bias_correction1),
                                          static_cast<float>(1 / std::sqrt(bias_correction2)),
                                          static_cast<float>(options.eps())};
      for (int64_t at = 0; at < p.numel(); at += kSliceElements) {
        slices.push_back({p.data_ptr<float>() + at, s.exp_avg().data_ptr<float>() + at,
                          s.exp_avg_sq().data_ptr<float>() + at, p.grad().data_ptr<float>() + at,
                          std::min(kSliceElements, p.numel() - at), scalars});
      }
    }
  }
  at::parallel_for(0, static_cast<int64_t>(slices.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const UpdateSlice& u = slices[i];
      kernels::AdamWUpdate(u.p, u.g, u.m, u.v, u.n, u.scalars);
    }
  });
  // The kernel wrote through raw pointers: tell the tensors they changed, as an in-place op would. Caches
  // keyed on the version counter (FusedWeight's no-grad q/k/v and gate/up concatenations used by
  // generation) would otherwise keep serving the weights of before this step.
  for (auto& group : param_groups()) {
    for (auto& p : group.params()) {
      if (p.grad().defined()) p.unsafeGetTensorImpl()->bump_version();
    }
  }
  return loss;
}

void FusedAdamW::ClearGradients() {
  for (auto& group : param_groups()) {
    for (auto& p : group.params()) p.mutable_grad().reset();
  }
}

}  // namespace trainers
