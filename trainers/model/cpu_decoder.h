// The decode step (one new token per sequence) for fp32 models on the CPU, computed with the plain
// kernels of decode_kernels.h instead of LibTorch ops. The LibTorch path (ForwardCached) stays the
// definition: this one must give the same logits up to float rounding (tests/model compares them),
// and everything else (prefill, hook-appended chunks, CUDA, bf16, training) runs there.
#pragma once

#include <cstdint>
#include <vector>

#include "trainers/model/llama.h"

namespace trainers {

class CpuDecoder {
 public:
  // Whether `model` can use it: parameters on the CPU in float32.
  static bool Supports(const LlamaForCausalLMImpl& model);

  // Copies the weights once, transposed to [in, out] and packed in column panels so that the
  // small-row GEMM streams them. The
  // copies are a snapshot: build a new decoder after the weights change (the engine builds one per
  // Generate wave).
  explicit CpuDecoder(const LlamaForCausalLMImpl& model);

  // Appends token ids[b] to row b of `cache` at slot cache->lengths[b] (the LibTorch path's layout)
  // and returns the next-token logits [B, vocab]. Advances lengths.
  at::Tensor Step(const std::vector<int>& ids, KvCache* cache);

 private:
  struct Layer {
    std::vector<float> qkv, o, gate_up, down;  // [in, out] packed by kernels::PackPanels; q unscaled
    at::Tensor input_norm, post_norm;
    at::Tensor qkv_bias, o_bias;  // undefined when the model has none
  };

  ModelConfig config_;
  std::vector<Layer> layers_;
  at::Tensor embed_, final_norm_;
  std::vector<float> head_;  // [hidden, vocab] packed
  std::vector<float> inv_freq_;  // rotary frequencies, computed as RotaryCosSin does (fp32)
  // Scratch reused across steps.
  std::vector<float> x_, h_, qkv_, attn_, gu_, act_, scores_, cos_, sin_;
};

}  // namespace trainers
