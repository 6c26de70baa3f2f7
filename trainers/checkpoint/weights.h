// Named weights from any stored layout (safetensors, sharded safetensors, GGUF) copied into a model's
// parameters through one set of checks.
#pragma once

#include <functional>
#include <map>
#include <string>

#include <ATen/core/Tensor.h>

#include "trainers/model/llama.h"

namespace trainers {

struct WeightSource {
  std::map<std::string, std::string> files;            // HF tensor name -> file holding it (messages)
  std::function<at::Tensor(const std::string&)> get;  // CPU tensor in HF shape, any floating dtype
};

// Copies every parameter from `source` (casting dtype, moving device). util::InputError naming the file
// and tensor for a missing tensor, a shape mismatch, a non-float tensor, or a tensor the model does not
// have (rotary inv_freq buffers are ignored; lm_head.weight is ignored when embeddings are tied).
void CopyWeights(LlamaForCausalLM& model, const WeightSource& source);

// One safetensors file (read whole).
WeightSource SafetensorsFileWeights(const std::string& path);
// model.safetensors, or the shards listed by model.safetensors.index.json, in `dir`.
WeightSource SafetensorsWeights(const std::string& dir);

}  // namespace trainers
