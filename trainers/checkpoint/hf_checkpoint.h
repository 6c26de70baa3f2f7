// Hugging Face checkpoint directories: config.json (LlamaConfig), model.safetensors (HF tensor
// names), tokenizer.json and generation_config.json. A directory we write loads in `transformers`
// with LlamaForCausalLM.from_pretrained unchanged; fp32/fp16/bf16 weights written elsewhere load here.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "trainers/model/config.h"
#include "trainers/model/llama.h"

namespace trainers {

// Sampling defaults stored in generation_config.json (HF GenerationConfig keys).
struct GenerationDefaults {
  int max_new_tokens = 256;
  double temperature = 1.0;
  double top_p = 1.0;
  int top_k = 0;  // 0 = off
  bool do_sample = false;
};

// Writes model.safetensors with the model's named_parameters() in their current dtype.
void SaveModelWeights(LlamaForCausalLM& model, const std::string& path);
// Copies every tensor of a safetensors file into the model's parameters (any float dtype is cast to
// the model's). Throws util::InputError naming the file and tensor for a missing tensor, a shape
// mismatch, or a tensor the model does not have (rotary inv_freq buffers are ignored; lm_head.weight
// is ignored when embeddings are tied).
void LoadModelWeights(LlamaForCausalLM& model, const std::string& path);

// Writes config.json, model.safetensors, generation_config.json and, when tokenizer_json is
// non-empty, tokenizer.json (the text of an HF tokenizer.json). Every file is written atomically.
void SaveCheckpoint(const std::string& dir, LlamaForCausalLM& model, const std::string& tokenizer_json,
                    const GenerationDefaults& generation = {});

ModelConfig ReadCheckpointConfig(const std::string& dir);       // dir/config.json
GenerationDefaults ReadGenerationDefaults(const std::string& dir);  // defaults when the file is absent
// Builds the model from dir/config.json on the runtime's device/dtype and loads its weights.
LlamaForCausalLM LoadCheckpoint(const std::string& dir, const RuntimeConfig& runtime);

}  // namespace trainers
