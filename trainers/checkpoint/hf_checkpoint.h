// Checkpoints: Hugging Face directories (config.json for Llama or Qwen2, model.safetensors or shards
// with model.safetensors.index.json, tokenizer.json + tokenizer_config.json, generation_config.json)
// and GGUF files (a path ending in .gguf; see gguf_model.h). A directory we write loads in
// `transformers` unchanged; fp32/fp16/bf16 weights written elsewhere load here.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "trainers/model/config.h"
#include "trainers/model/llama.h"
#include "trainers/tokenizer/tokenizer.h"

namespace trainers {

// Sampling defaults stored in generation_config.json (HF GenerationConfig keys).
struct GenerationDefaults {
  int max_new_tokens = 256;
  double temperature = 1.0;
  double top_p = 1.0;
  int top_k = 0;  // 0 = off
  bool do_sample = false;
  std::vector<int> eos_token_ids;  // generation_config's eos_token_id (an id or a list); empty when unset
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

// The same plus tokenizer_config.json (special tokens, add_bos_token, chat template), so a real model's
// tokenizer survives fine-tuning.
void SaveCheckpoint(const std::string& dir, LlamaForCausalLM& model, const tokenizer::Tokenizer& tok,
                    const GenerationDefaults& generation = {});

bool IsGgufPath(const std::string& path);  // ends in ".gguf"
ModelConfig ReadCheckpointConfig(const std::string& path);          // dir/config.json or GGUF metadata
GenerationDefaults ReadGenerationDefaults(const std::string& path); // defaults when absent (and for GGUF)
// Builds the model from the checkpoint's config on the runtime's device/dtype and loads its weights.
LlamaForCausalLM LoadCheckpoint(const std::string& path, const RuntimeConfig& runtime);
// dir/tokenizer.json (+ tokenizer_config.json when present), or the GGUF's embedded tokenizer.
tokenizer::Tokenizer LoadCheckpointTokenizer(const std::string& path);

}  // namespace trainers
