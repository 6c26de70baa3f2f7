// ModelConfig presets, validation and HF config.json conversion.
#include "trainers/model/config.h"

#include <cmath>

#include "harness/util/error.h"

namespace trainers {
namespace {

util::InputError ConfigError(const std::string& source, const std::string& field,
                             const std::string& message) {
  return util::InputError(util::Location{source, 0, field}, message);
}

template <typename T>
void ReadKey(const nlohmann::json& json, const char* key, const std::string& source, T* out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) throw ConfigError(source, key, "expected a boolean");
  } else {
    if (!it->is_number()) throw ConfigError(source, key, "expected a number");
    if constexpr (std::is_integral_v<T>) {
      if (!it->is_number_integer()) throw ConfigError(source, key, "expected an integer");
    }
  }
  *out = it->get<T>();
}

// Token ids in HF configs may be a single int or a list (generation_config eos); we take the first.
void ReadTokenId(const nlohmann::json& json, const char* key, const std::string& source, int* out) {
  auto it = json.find(key);
  if (it == json.end() || it->is_null()) return;
  if (it->is_array() && !it->empty() && (*it)[0].is_number_integer()) {
    *out = (*it)[0].get<int>();
  } else if (it->is_number_integer()) {
    *out = it->get<int>();
  } else {
    throw ConfigError(source, key, "expected an integer token id");
  }
}

}  // namespace

const util::Fields<ModelConfig>& ModelConfigFields() {
  using C = ModelConfig;
  static const auto* fields = [] {
    auto* f = new util::Fields<C>();
    const auto positive = util::AtLeast(1);
    f->Add("model_type", &C::model_type, "architecture: llama, or qwen2 (q/k/v biases)", util::OneOf({"llama", "qwen2"}))
        .Add("vocab_size", &C::vocab_size, "tokens in the vocabulary", positive)
        .Add("hidden_size", &C::hidden_size, "model width", positive)
        .Add("intermediate_size", &C::intermediate_size, "SwiGLU hidden width", positive)
        .Add("num_hidden_layers", &C::num_hidden_layers, "decoder layers", positive)
        .Add("num_attention_heads", &C::num_attention_heads, "query heads", positive)
        .Add("num_key_value_heads", &C::num_key_value_heads, "key/value heads (< query heads: grouped-query)", positive)
        .Add("max_position_embeddings", &C::max_position_embeddings, "longest sequence", positive)
        .Add("rms_norm_eps", &C::rms_norm_eps, "RMSNorm epsilon", util::Check<double>([](double v) {
               return v > 0 ? std::string() : "must be positive";
             }))
        .Add("rope_theta", &C::rope_theta, "rotary base", util::Check<double>([](double v) {
               return v > 0 ? std::string() : "must be positive";
             }))
        .Add("initializer_range", &C::initializer_range, "std of the normal init of weights", util::AtLeast(0.0))
        .Add("tie_word_embeddings", &C::tie_word_embeddings, "lm_head shares the input embeddings")
        .Add("harness_value_head", &C::value_head, "a scalar value head (PPO critic) beside lm_head");
    using util::RuleFailure;
    f->Rule([](const C& c) {
      if (c.hidden_size % c.num_attention_heads != 0) {
        return RuleFailure{"num_attention_heads", "hidden_size " + std::to_string(c.hidden_size) +
                                                      " is not divisible by " + std::to_string(c.num_attention_heads) +
                                                      " heads"};
      }
      if (c.head_dim() % 2 != 0) return RuleFailure{"num_attention_heads", "head_dim must be even for rotary embeddings"};
      if (c.num_attention_heads % c.num_key_value_heads != 0) {
        return RuleFailure{"num_key_value_heads", std::to_string(c.num_attention_heads) +
                                                      " attention heads are not a multiple of " +
                                                      std::to_string(c.num_key_value_heads) + " key/value heads"};
      }
      return util::Ok();
    });
    f->Rule([](const C& c) {
      if (c.model_type == "llama" && c.attention_qkv_bias != c.attention_out_bias) {
        return RuleFailure{"attention_bias", "Llama models have biases on all four projections or on none"};
      }
      if (c.model_type == "qwen2" && (!c.attention_qkv_bias || c.attention_out_bias)) {
        return RuleFailure{"model_type", "Qwen2 models have q/k/v biases and no o_proj bias"};
      }
      return util::Ok();
    });
    f->Rule([](const C& c) {
      if (c.rope_scaling_type.empty()) return util::Ok();
      if (c.rope_scaling_type != "linear" && c.rope_scaling_type != "llama3") {
        return RuleFailure{"rope_scaling.rope_type", "'" + c.rope_scaling_type + "' is not supported (linear, llama3)"};
      }
      if (!(c.rope_scaling_factor > 0)) return RuleFailure{"rope_scaling.factor", "must be positive"};
      if (c.rope_scaling_type == "llama3" &&
          !(c.rope_high_freq_factor > c.rope_low_freq_factor && c.rope_low_freq_factor > 0 &&
            c.rope_original_max_position > 0)) {
        return RuleFailure{"rope_scaling", "llama3 scaling needs 0 < low_freq_factor < high_freq_factor and "
                                           "original_max_position_embeddings > 0"};
      }
      return util::Ok();
    });
    f->Rule([](const C& c) {
      for (auto [id, field] : {std::pair{c.bos_token_id, "bos_token_id"}, std::pair{c.eos_token_id, "eos_token_id"},
                               std::pair{c.pad_token_id, "pad_token_id"}}) {
        if (id >= c.vocab_size) {
          return RuleFailure{field, "token id " + std::to_string(id) + " >= vocab_size " + std::to_string(c.vocab_size)};
        }
      }
      return util::Ok();
    });
    return f;
  }();
  return *fields;
}

void ModelConfig::Validate(const std::string& source) const { ModelConfigFields().Validate(*this, source); }

long long ModelConfig::NumParameters() const {
  const long long h = hidden_size, kv = static_cast<long long>(num_key_value_heads) * head_dim();
  long long per_layer = h * h * 2 + h * kv * 2 + 3 * h * intermediate_size + 2 * h;
  if (attention_qkv_bias) per_layer += h + 2 * kv;
  if (attention_out_bias) per_layer += h;
  long long total = per_layer * num_hidden_layers + h + static_cast<long long>(vocab_size) * h;
  if (!tie_word_embeddings) total += static_cast<long long>(vocab_size) * h;
  if (value_head) total += h + 1;
  return total;
}

std::vector<float> RotaryInvFreq(const ModelConfig& c) {
  const int64_t d = c.head_dim();
  std::vector<float> inv_freq;
  for (int64_t i = 0; i < d / 2; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(d);
    inv_freq.push_back(1.0f / std::pow(static_cast<float>(c.rope_theta), exponent));
  }
  if (c.rope_scaling_type == "linear") {
    for (float& f : inv_freq) f = static_cast<float>(f / c.rope_scaling_factor);
  } else if (c.rope_scaling_type == "llama3") {
    const double old_len = c.rope_original_max_position;
    const double low_wavelen = old_len / c.rope_low_freq_factor, high_wavelen = old_len / c.rope_high_freq_factor;
    for (float& f : inv_freq) {
      const double wavelen = 2 * M_PI / f;
      if (wavelen > low_wavelen) {
        f = static_cast<float>(f / c.rope_scaling_factor);
      } else if (wavelen >= high_wavelen) {  // medium frequencies: interpolate
        const double smooth =
            (old_len / wavelen - c.rope_low_freq_factor) / (c.rope_high_freq_factor - c.rope_low_freq_factor);
        f = static_cast<float>((1 - smooth) * f / c.rope_scaling_factor + smooth * f);
      }
    }
  }
  return inv_freq;
}

nlohmann::json ToHfConfigJson(const ModelConfig& c, const std::string& torch_dtype) {
  auto id_or_null = [](int id) { return id < 0 ? nlohmann::json(nullptr) : nlohmann::json(id); };
  nlohmann::json rope_scaling = nullptr;
  if (c.rope_scaling_type == "linear") {
    rope_scaling = {{"rope_type", "linear"}, {"factor", c.rope_scaling_factor}};
  } else if (c.rope_scaling_type == "llama3") {
    rope_scaling = {{"rope_type", "llama3"},
                    {"factor", c.rope_scaling_factor},
                    {"low_freq_factor", c.rope_low_freq_factor},
                    {"high_freq_factor", c.rope_high_freq_factor},
                    {"original_max_position_embeddings", c.rope_original_max_position}};
  }
  const bool qwen2 = c.model_type == "qwen2";
  nlohmann::json json = ModelConfigFields().ToJson(c);
  json["architectures"] = {qwen2 ? "Qwen2ForCausalLM" : "LlamaForCausalLM"};
  json["rope_scaling"] = rope_scaling;
  json["hidden_act"] = "silu";
  json["bos_token_id"] = id_or_null(c.bos_token_id);
  json["eos_token_id"] = id_or_null(c.eos_token_id);
  json["pad_token_id"] = id_or_null(c.pad_token_id);
  json["use_cache"] = true;
  json["torch_dtype"] = torch_dtype;
  if (qwen2) {
    json["use_sliding_window"] = false;
  } else {
    json["attention_bias"] = c.attention_qkv_bias;
  }
  return json;
}

namespace {

void ReadRopeScaling(const nlohmann::json& json, const std::string& source, ModelConfig* c) {
  auto it = json.find("rope_scaling");
  if (it == json.end() || it->is_null()) return;
  if (!it->is_object()) throw ConfigError(source, "rope_scaling", "expected an object or null");
  // HF writes the kind as "rope_type" (newer) or "type" (older).
  const auto kind = it->contains("rope_type") ? it->at("rope_type") : it->value("type", nlohmann::json());
  if (!kind.is_string()) throw ConfigError(source, "rope_scaling.rope_type", "missing or not a string");
  c->rope_scaling_type = kind.get<std::string>();
  if (c->rope_scaling_type == "default") {
    c->rope_scaling_type.clear();
    return;
  }
  ReadKey(*it, "factor", source, &c->rope_scaling_factor);
  ReadKey(*it, "low_freq_factor", source, &c->rope_low_freq_factor);
  ReadKey(*it, "high_freq_factor", source, &c->rope_high_freq_factor);
  ReadKey(*it, "original_max_position_embeddings", source, &c->rope_original_max_position);
}

}  // namespace

ModelConfig FromHfConfigJson(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object()) throw ConfigError(source, "", "config must be a JSON object");
  ModelConfig c;
  if (json.contains("model_type")) {
    if (!json["model_type"].is_string()) throw ConfigError(source, "model_type", "expected a string");
    c.model_type = json["model_type"].get<std::string>();
  }
  if (c.model_type == "qwen2") {
    c.attention_qkv_bias = true;
    if (json.value("use_sliding_window", false) == true) {
      throw ConfigError(source, "use_sliding_window", "sliding-window attention is not supported");
    }
  }
  c.tie_word_embeddings = true;  // LlamaConfig's default when the key is absent
  ModelConfigFields().ReadKnown(json, &c, source);
  // HF's defaults where a key is absent: as many key/value heads as query heads.
  if (!json.contains("num_key_value_heads") || json["num_key_value_heads"].is_null()) {
    c.num_key_value_heads = c.num_attention_heads;
  }
  ReadKey(json, "value_head", source, &c.value_head);
  ReadTokenId(json, "bos_token_id", source, &c.bos_token_id);
  ReadTokenId(json, "eos_token_id", source, &c.eos_token_id);
  ReadTokenId(json, "pad_token_id", source, &c.pad_token_id);
  if (json.contains("hidden_act") && json["hidden_act"] != "silu") {
    throw ConfigError(source, "hidden_act", "only \"silu\" (SwiGLU) is supported");
  }
  if (json.value("mlp_bias", false) == true) {
    throw ConfigError(source, "mlp_bias", "MLP biases are not supported");
  }
  ReadRopeScaling(json, source, &c);
  if (c.model_type == "llama") {
    ReadKey(json, "attention_bias", source, &c.attention_qkv_bias);
    c.attention_out_bias = c.attention_qkv_bias;
  }
  c.Validate(source);
  return c;
}

std::vector<std::string> PresetNames() { return {"nano", "micro", "small"}; }

ModelConfig PresetConfig(const std::string& name, int vocab_size) {
  ModelConfig c;
  c.vocab_size = vocab_size;
  if (name == "nano") {          // 4 x 197K + embeddings: ~1M at a 512-token vocabulary
    c.hidden_size = 128, c.intermediate_size = 384, c.num_hidden_layers = 4;
    c.num_attention_heads = 4, c.num_key_value_heads = 2;
  } else if (name == "micro") {  // 6 x 983K + embeddings: ~6M
    c.hidden_size = 256, c.intermediate_size = 1024, c.num_hidden_layers = 6;
    c.num_attention_heads = 8, c.num_key_value_heads = 4;
  } else if (name == "small") {  // 8 x 3.1M + embeddings: ~25M
    c.hidden_size = 512, c.intermediate_size = 1536, c.num_hidden_layers = 8;
    c.num_attention_heads = 8, c.num_key_value_heads = 4;
  } else {
    std::string names;
    for (const auto& n : PresetNames()) names += (names.empty() ? "" : ", ") + n;
    throw util::InputError(util::Location{"", 0, "preset"},
                           "unknown model preset '" + name + "' (known: " + names + ")");
  }
  c.max_position_embeddings = 2048;
  c.Validate("preset " + name);
  return c;
}

ModelConfig OverrideConfig(const ModelConfig& base, const nlohmann::json& overrides,
                           const std::string& source) {
  nlohmann::json merged = ToHfConfigJson(base, "float32");
  for (auto it = overrides.begin(); it != overrides.end(); ++it) {
    if (!merged.contains(it.key())) {
      throw ConfigError(source, it.key(), "unknown model config key");
    }
    merged[it.key()] = it.value();
  }
  return FromHfConfigJson(merged, source);
}

}  // namespace trainers
