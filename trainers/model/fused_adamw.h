// AdamW whose step is one vectorised pass per parameter (kernels::AdamWUpdate) instead of LibTorch's
// nine tensor ops, each a pass over the parameter, plus two temporaries (micro's 6.2M parameters:
// 11 ms against 16 ms at 1 thread, README); the passes of all parameters are cut into slices shared
// out over the intra-op threads, which changes no value. It is a torch::optim::AdamW (same options, same per-parameter state under the same
// keys), so the training state saves and restores it unchanged, and anything it does not implement
// (a parameter off the CPU or not fp32, amsgrad) takes LibTorch's step.
#pragma once

#include <string>

#include <torch/optim/adamw.h>
#include <torch/version.h>
#if TORCH_VERSION_MAJOR < 2
#include <c10/util/string_utils.h>
#endif

namespace trainers {

// The key LibTorch's optimizers file a parameter's state under (optimizer.state()): the address of its
// TensorImpl, printed to a string in LibTorch 1.x, the pointer itself since 2.x.
#if TORCH_VERSION_MAJOR < 2
inline std::string OptimizerStateKey(const at::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }
#else
inline void* OptimizerStateKey(const at::Tensor& p) { return p.unsafeGetTensorImpl(); }
#endif

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
  // Gradients reset to undefined rather than zeroed (PyTorch 2's zero_grad default): backward then
  // hands each parameter its fresh gradient instead of adding it into a zeroed buffer.
  void ClearGradients();
};

}  // namespace trainers
