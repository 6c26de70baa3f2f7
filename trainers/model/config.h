// Model hyperparameters in Hugging Face LlamaConfig terms, the named presets, and the runtime choice
// of device, dtype and threads. Torch-free so CLI and trainer configs can carry it around cheaply.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/util/config_fields.h"

namespace trainers {

struct ModelConfig {
  // Architecture (LlamaConfig / Qwen2Config keys; config.json round-trips them).
  std::string model_type = "llama";   // "llama" or "qwen2" (q/k/v biases, no output bias)
  int vocab_size = 512;
  int hidden_size = 128;
  int intermediate_size = 384;
  int num_hidden_layers = 4;
  int num_attention_heads = 4;
  int num_key_value_heads = 2;         // < num_attention_heads: grouped-query attention
  int max_position_embeddings = 1024;
  double rms_norm_eps = 1e-5;
  double rope_theta = 10000.0;
  // rope_scaling as HF gives it: "" (none), "linear" (factor) or "llama3" (factor, low/high frequency
  // factors, original_max_position_embeddings).
  std::string rope_scaling_type;
  double rope_scaling_factor = 1.0;
  double rope_low_freq_factor = 1.0;
  double rope_high_freq_factor = 4.0;
  int rope_original_max_position = 8192;
  bool attention_qkv_bias = false;     // biases on q/k/v (Qwen2 always; Llama with attention_bias)
  bool attention_out_bias = false;     // bias on o_proj (Llama with attention_bias)
  double initializer_range = 0.02;     // std of the normal init of every linear/embedding weight
  bool tie_word_embeddings = false;    // lm_head shares model.embed_tokens.weight
  int bos_token_id = -1;               // -1: unset (written as null)
  int eos_token_id = -1;
  int pad_token_id = -1;
  // Ours, not HF: a scalar value head (PPO critic) next to lm_head, saved as value_head.{weight,bias}.
  bool value_head = false;

  int head_dim() const { return hidden_size / num_attention_heads; }
  // Throws util::InputError (naming `source` and the field) on impossible shapes.
  void Validate(const std::string& source) const;
  // Parameters of the model this config builds (embeddings counted once when tied).
  long long NumParameters() const;
};

// Rotary inverse frequencies [head_dim / 2] in fp32: theta^(-2i/d) computed as HF does in fp32, then
// rope scaling applied (HF's _compute_linear / _compute_llama3_parameters). The one definition used by
// the LibTorch forward and the CPU decode kernels.
std::vector<float> RotaryInvFreq(const ModelConfig& config);

// The architecture's config.json keys, declared once (type, default, validator, doc) with the cross-field
// rules; Validate, FromHfConfigJson, ToHfConfigJson and the overrides check all use this list.
const util::Fields<ModelConfig>& ModelConfigFields();

// HF config.json with architectures/model_type/torch_dtype so `transformers` loads it unchanged.
nlohmann::json ToHfConfigJson(const ModelConfig& config, const std::string& torch_dtype);
// Reads LlamaConfig keys; unknown keys are ignored (HF writes many), mistyped known keys throw
// util::InputError naming `source` and the key. Validates the result.
ModelConfig FromHfConfigJson(const nlohmann::json& json, const std::string& source);

// Named presets: "nano" (~1M parameters), "micro" (~6M), "small" (~25M). Unknown name: InputError.
ModelConfig PresetConfig(const std::string& name, int vocab_size);
std::vector<std::string> PresetNames();
// Applies {"key": value} overrides (same keys as config.json) on top of `base`.
ModelConfig OverrideConfig(const ModelConfig& base, const nlohmann::json& overrides,
                           const std::string& source);

// Where and how the model runs. Chosen once; an unavailable device is an error, never a fallback.
struct RuntimeConfig {
  std::string device = "cpu";    // "cpu", "cuda", "cuda:N"
  std::string dtype = "float32"; // "float32" or "bfloat16"
  int threads = 0;               // torch intra-op threads; 0 = number of cores
};

}  // namespace trainers
