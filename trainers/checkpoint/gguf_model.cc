#include "trainers/checkpoint/gguf_model.h"

#include <memory>
#include <regex>

#include <ATen/ATen.h>

#include "harness/util/error.h"

namespace trainers {
namespace {

[[noreturn]] void Fail(const GgufFile& file, const std::string& field, const std::string& message) {
  throw util::InputError(util::Location{file.path(), 0, field}, message);
}

std::string Architecture(const GgufFile& file) {
  const std::string arch = file.String("general.architecture");
  if (arch != "llama" && arch != "qwen2") {
    Fail(file, "general.architecture", "'" + arch + "' is not supported (llama, qwen2)");
  }
  return arch;
}

int Int(const GgufFile& file, const std::string& key) { return static_cast<int>(file.Number(key)); }

const nlohmann::json& Array(const GgufFile& file, const std::string& key) {
  auto it = file.metadata().find(key);
  if (it == file.metadata().end() || !it->is_array()) Fail(file, key, "missing or not an array");
  return *it;
}

// tokenizer.ggml.pre (llama.cpp's names, llama-vocab.cpp) -> our pre-tokenizer.
tokenizer::PreTokenizer PreTokenizerOf(const GgufFile& file) {
  using tokenizer::PreTokenizer;
  const std::string pre = file.metadata().contains("tokenizer.ggml.pre") ? file.String("tokenizer.ggml.pre") : "default";
  if (pre == "default" || pre == "gpt-2" || pre == "gpt2") return PreTokenizer::kGpt2;
  if (pre == "smollm" || pre == "starcoder" || pre == "refact" || pre == "codeshell") return PreTokenizer::kGpt2Digits;
  if (pre == "llama-bpe" || pre == "llama3") return PreTokenizer::kLlama3;
  if (pre == "qwen2" || pre == "deepseek-r1-qwen") return PreTokenizer::kQwen2;
  Fail(file, "tokenizer.ggml.pre", "pre-tokenizer '" + pre +
                                       "' is not supported (gpt-2, smollm/starcoder, llama-bpe, qwen2)");
}

// GGUF blk.N.* and top-level names -> HF names (llama.cpp's tensor_mapping.py, read backwards).
std::string HfName(const std::string& gguf_name) {
  static const std::pair<const char*, const char*> kTop[] = {
      {"token_embd.weight", "model.embed_tokens.weight"},
      {"output_norm.weight", "model.norm.weight"},
      {"output.weight", "lm_head.weight"},
  };
  for (const auto& [from, to] : kTop) {
    if (gguf_name == from) return to;
  }
  static const std::pair<const char*, const char*> kLayer[] = {
      {"attn_norm", "input_layernorm"},     {"ffn_norm", "post_attention_layernorm"},
      {"attn_q", "self_attn.q_proj"},       {"attn_k", "self_attn.k_proj"},
      {"attn_v", "self_attn.v_proj"},       {"attn_output", "self_attn.o_proj"},
      {"ffn_gate", "mlp.gate_proj"},        {"ffn_up", "mlp.up_proj"},
      {"ffn_down", "mlp.down_proj"},
  };
  static const std::regex kBlock(R"(blk\.(\d+)\.([a-z_]+)\.(weight|bias))");
  std::smatch m;
  if (std::regex_match(gguf_name, m, kBlock)) {
    for (const auto& [from, to] : kLayer) {
      if (m[2] == from) return "model.layers." + m[1].str() + "." + to + "." + m[3].str();
    }
  }
  return gguf_name;  // unknown: CopyWeights reports it as not in the model
}

// Inverse of LlamaModel.permute: GGUF rows of a head are (i, j) pairs, i < d/2, j in {0, 1}; HF's
// row j * d/2 + i. `t` is [heads * d] or [heads * d, in].
at::Tensor UnpermuteRotary(const at::Tensor& t, int64_t heads) {
  const int64_t d = t.size(0) / heads;
  std::vector<int64_t> grouped = {heads, d / 2, 2};
  if (t.dim() == 2) grouped.push_back(t.size(1));
  return t.reshape(grouped).transpose(1, 2).reshape(t.sizes()).contiguous();
}

}  // namespace

ModelConfig GgufModelConfig(const GgufFile& file) {
  const std::string arch = Architecture(file);
  const std::string p = arch + ".";
  ModelConfig c;
  c.model_type = arch;
  c.attention_qkv_bias = arch == "qwen2";
  c.hidden_size = Int(file, p + "embedding_length");
  c.intermediate_size = Int(file, p + "feed_forward_length");
  c.num_hidden_layers = Int(file, p + "block_count");
  c.num_attention_heads = Int(file, p + "attention.head_count");
  c.num_key_value_heads = static_cast<int>(file.NumberOr(p + "attention.head_count_kv", c.num_attention_heads));
  c.max_position_embeddings = Int(file, p + "context_length");
  c.rms_norm_eps = file.Number(p + "attention.layer_norm_rms_epsilon");
  c.rope_theta = file.NumberOr(p + "rope.freq_base", 10000.0);
  c.vocab_size = file.metadata().contains(p + "vocab_size") ? Int(file, p + "vocab_size")
                                                            : static_cast<int>(Array(file, "tokenizer.ggml.tokens").size());
  c.tie_word_embeddings = file.Find("output.weight") == nullptr;
  if (c.num_attention_heads > 0 && file.metadata().contains(p + "rope.dimension_count") &&
      Int(file, p + "rope.dimension_count") != c.hidden_size / c.num_attention_heads) {
    Fail(file, p + "rope.dimension_count", "partial rotary embeddings are not supported");
  }
  const std::string scaling = file.metadata().contains(p + "rope.scaling.type") ? file.String(p + "rope.scaling.type") : "none";
  if (scaling == "linear") {
    c.rope_scaling_type = "linear";
    c.rope_scaling_factor = file.Number(p + "rope.scaling.factor");
  } else if (scaling != "none") {
    Fail(file, p + "rope.scaling.type", "rope scaling '" + scaling + "' is not supported in GGUF files (linear)");
  }
  if (file.Find("rope_freqs.weight") != nullptr) {
    Fail(file, "rope_freqs.weight", "per-frequency rope factors (Llama 3.1 GGUF) are not supported; load the "
                                    "Hugging Face folder instead");
  }
  const auto id_of = [&](const char* key) {
    return file.metadata().contains(key) ? Int(file, key) : -1;
  };
  c.bos_token_id = id_of("tokenizer.ggml.bos_token_id");
  c.eos_token_id = id_of("tokenizer.ggml.eos_token_id");
  c.pad_token_id = id_of("tokenizer.ggml.padding_token_id");
  c.Validate(file.path());
  return c;
}

tokenizer::Tokenizer GgufTokenizer(const GgufFile& file) {
  const std::string model = file.String("tokenizer.ggml.model");
  if (model != "gpt2") {
    Fail(file, "tokenizer.ggml.model", "tokenizer '" + model + "' is not supported (only byte-level BPE, \"gpt2\")");
  }
  const nlohmann::json& tokens = Array(file, "tokenizer.ggml.tokens");
  const nlohmann::json& merges = Array(file, "tokenizer.ggml.merges");
  const nlohmann::json types = file.metadata().value("tokenizer.ggml.token_type", nlohmann::json::array());
  tokenizer::Tokenizer::Parts parts;
  parts.pre_tokenizer = PreTokenizerOf(file);
  std::unordered_map<std::string, int> id_of;
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (!tokens[id].is_string()) Fail(file, "tokenizer.ggml.tokens", "entry " + std::to_string(id) + " is not a string");
    parts.vocab.push_back(tokens[id].get<std::string>());
    id_of.emplace(parts.vocab.back(), static_cast<int>(id));
    const int type = id < types.size() && types[id].is_number_integer() ? types[id].get<int>() : 1;
    if (type == 3 || type == 4) parts.added_ids.push_back(static_cast<int>(id));  // control, user-defined
    if (type == 3) parts.special_ids.push_back(static_cast<int>(id));
  }
  for (size_t i = 0; i < merges.size(); ++i) {
    const std::string field = "tokenizer.ggml.merges[" + std::to_string(i) + "]";
    const std::string merge = merges[i].is_string() ? merges[i].get<std::string>() : "";
    const size_t space = merge.find(' ');
    if (space == std::string::npos || merge.find(' ', space + 1) != std::string::npos) {
      Fail(file, field, "expected \"left right\"");
    }
    auto left = id_of.find(merge.substr(0, space)), right = id_of.find(merge.substr(space + 1));
    if (left == id_of.end() || right == id_of.end()) Fail(file, field, "merge names a token not in the vocabulary");
    parts.merges.emplace_back(left->second, right->second);
  }
  const auto token_at = [&](const char* key) -> std::string {
    if (!file.metadata().contains(key)) return "";
    const int id = Int(file, key);
    if (id < 0 || id >= static_cast<int>(parts.vocab.size())) Fail(file, key, "token id out of the vocabulary");
    return parts.vocab[id];
  };
  parts.bos_token = token_at("tokenizer.ggml.bos_token_id");
  parts.eos_token = token_at("tokenizer.ggml.eos_token_id");
  parts.pad_token = token_at("tokenizer.ggml.padding_token_id");
  // llama.cpp adds bos unless told not to (add_bos_token defaults to true for BPE vocabularies).
  parts.add_bos = !file.metadata().contains("tokenizer.ggml.add_bos_token") ||
                  file.metadata()["tokenizer.ggml.add_bos_token"] == true;
  if (file.metadata().contains("tokenizer.chat_template")) parts.chat_template = file.String("tokenizer.chat_template");
  try {
    return tokenizer::Tokenizer::FromParts(std::move(parts));
  } catch (const std::invalid_argument& e) {
    Fail(file, "tokenizer.ggml.tokens", e.what());
  }
}

WeightSource GgufWeights(const GgufFile& file, const ModelConfig& config) {
  WeightSource source;
  auto names = std::make_shared<std::map<std::string, const GgufTensorInfo*>>();
  for (const GgufTensorInfo& t : file.tensors()) {
    const std::string hf = HfName(t.name);
    source.files[hf] = file.path();
    (*names)[hf] = &t;
  }
  const bool permuted = config.model_type == "llama";
  const int64_t heads = config.num_attention_heads, kv_heads = config.num_key_value_heads;
  source.get = [&file, names, permuted, heads, kv_heads](const std::string& name) {
    const GgufTensorInfo& info = *names->at(name);
    std::vector<int64_t> shape(info.dims.rbegin(), info.dims.rend());  // ggml's fastest dim last
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(at::kFloat));
    file.Dequantize(info, t.data_ptr<float>());
    const auto ends_with = [&name](const char* s) { return name.find(s) != std::string::npos; };
    if (permuted && ends_with("self_attn.q_proj.")) t = UnpermuteRotary(t, heads);
    if (permuted && ends_with("self_attn.k_proj.")) t = UnpermuteRotary(t, kv_heads);
    return t;
  };
  return source;
}

}  // namespace trainers
