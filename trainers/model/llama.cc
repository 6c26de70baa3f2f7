// Llama decoder forward passes, KV cache bookkeeping, weight init and device/dtype resolution.
#include "trainers/model/llama.h"

#include <algorithm>
#include <functional>
#include <cmath>
#include <limits>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>
#include <torch/nn/functional/activation.h>

#include "harness/util/error.h"
#include "trainers/build_info.h"
#include "trainers/model/train_ops.h"

namespace trainers {
namespace {

// Added to attention scores that must be ignored. Finite, so a row with nothing to attend to
// (a padding query) gives a uniform softmax instead of NaN; representable in bf16.
constexpr double kMaskValue = -1e30;

at::Tensor RotateHalf(const at::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// KvCache

KvCache KvCache::Allocate(const ModelConfig& config, int64_t batch, int64_t capacity,
                          const c10::TensorOptions& options) {
  KvCache cache;
  cache.capacity = capacity;
  cache.lengths.assign(batch, 0);
  for (int i = 0; i < config.num_hidden_layers; ++i) {
    cache.keys.push_back(at::zeros({batch, config.num_key_value_heads, capacity, config.head_dim()}, options));
    cache.values.push_back(at::zeros_like(cache.keys.back()));
  }
  return cache;
}

void KvCache::Reserve(int64_t new_capacity) {
  if (new_capacity <= capacity) return;
  new_capacity = std::max(new_capacity, capacity * 3 / 2);  // amortise repeated appends
  for (auto* list : {&keys, &values}) {
    for (auto& t : *list) {
      auto grown = at::zeros({t.size(0), t.size(1), new_capacity, t.size(3)}, t.options());
      grown.narrow(2, 0, capacity).copy_(t);
      t = grown;
    }
  }
  capacity = new_capacity;
}

void KvCache::SelectRows(const std::vector<int64_t>& rows) {
  if (keys.empty()) return;
  // Rows strictly increasing: finished sequences leave and the rest keep their order. Anything else (fan-out to
  // samples, reordering) gathers a copy.
  const bool dropping = !rows.empty() && std::adjacent_find(rows.begin(), rows.end(), std::greater_equal<int64_t>()) == rows.end();
  if (!dropping) {
    *this = ExtractRows(rows);
    return;
  }
  // In place: each kept row moves down over a dropped one (row i <- row rows[i] >= i, so nothing is read after
  // it is overwritten), only its filled slots, and the batch dimension is narrowed. No allocation and no copy
  // of unfilled capacity; a generation wave drops rows at almost every step where a sequence stops. Slots past
  // a row's length are never attended (they are masked, or not visited by the CPU decoder) and are
  // overwritten as the row grows.
  for (auto* list : {&keys, &values}) {
    for (auto& t : *list) {
      for (size_t i = 0; i < rows.size(); ++i) {
        const int64_t from = rows[i], filled = lengths.at(from);
        if (from == static_cast<int64_t>(i) || filled == 0) continue;
        t.select(0, static_cast<int64_t>(i)).narrow(1, 0, filled).copy_(t.select(0, from).narrow(1, 0, filled));
      }
      t = t.narrow(0, 0, static_cast<int64_t>(rows.size()));
    }
  }
  std::vector<int64_t> new_lengths;
  new_lengths.reserve(rows.size());
  for (int64_t r : rows) new_lengths.push_back(lengths.at(r));
  lengths = std::move(new_lengths);
}

KvCache KvCache::ExtractRows(const std::vector<int64_t>& rows) const {
  // Gathered copies: SelectRows moves rows in place, which must not reach tensors another cache shares.
  KvCache out = *this;
  if (keys.empty()) return out;
  auto index = at::tensor(rows, at::TensorOptions().dtype(at::kLong)).to(keys[0].device());
  for (auto* list : {&out.keys, &out.values}) {
    for (auto& t : *list) t = t.index_select(0, index);
  }
  out.lengths.clear();
  for (int64_t r : rows) out.lengths.push_back(lengths.at(r));
  return out;
}

void KvCache::AppendRows(const KvCache& other) {
  if (other.keys.empty() || other.batch() == 0) return;
  if (keys.empty() || batch() == 0) {
    *this = other;
    return;
  }
  KvCache incoming = other;
  Reserve(incoming.capacity);
  if (incoming.capacity < capacity) {
    for (auto* list : {&incoming.keys, &incoming.values}) {
      for (auto& t : *list) {
        auto grown = at::zeros({t.size(0), t.size(1), capacity, t.size(3)}, t.options());
        grown.narrow(2, 0, incoming.capacity).copy_(t);
        t = grown;
      }
    }
  }
  for (size_t l = 0; l < keys.size(); ++l) {
    keys[l] = at::cat({keys[l], incoming.keys[l]}, 0);
    values[l] = at::cat({values[l], incoming.values[l]}, 0);
  }
  lengths.insert(lengths.end(), incoming.lengths.begin(), incoming.lengths.end());
}

// ---------------------------------------------------------------------------------------------
// Modules

at::Tensor FusedWeight::Get(const std::vector<at::Tensor>& parts, double first_scale) {
  auto build = [&] {
    std::vector<at::Tensor> scaled(parts);
    if (first_scale != 1.0) scaled[0] = scaled[0] * first_scale;
    return at::cat(scaled, 0);
  };
  if (at::GradMode::is_enabled()) return build();
  const bool inference = c10::InferenceMode::is_enabled();
  bool fresh = fused_.defined() && inference_ == inference && versions_.size() == parts.size();
  for (size_t i = 0; fresh && i < parts.size(); ++i) {
    fresh = versions_[i] == parts[i]._version() && storages_[i] == parts[i].data_ptr();
  }
  if (!fresh) {
    fused_ = build();
    inference_ = inference;
    versions_.clear();
    storages_.clear();
    for (const auto& p : parts) {
      versions_.push_back(p._version());
      storages_.push_back(p.data_ptr());
    }
  }
  return fused_;
}

RmsNormImpl::RmsNormImpl(int64_t dim, double eps_in) : eps(eps_in) {
  weight = register_parameter("weight", at::ones({dim}));
}

at::Tensor RmsNormImpl::forward(const at::Tensor& x) {
  if (FusedOpsApply(x)) return FusedRmsNorm(x, weight, eps);
  // HF LlamaRMSNorm: statistics in fp32, scale applied after casting back to the input dtype.
  if (x.scalar_type() == at::kFloat) return weight * (x * at::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps));
  auto xf = x.to(at::kFloat);
  auto normed = xf * at::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * normed.to(x.scalar_type());
}

AttentionImpl::AttentionImpl(const ModelConfig& c)
    : num_heads(c.num_attention_heads), num_kv_heads(c.num_key_value_heads), head_dim(c.head_dim()) {
  auto linear = [](int64_t in, int64_t out, bool bias) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
  };
  q_proj = register_module("q_proj", linear(c.hidden_size, num_heads * head_dim, c.attention_qkv_bias));
  k_proj = register_module("k_proj", linear(c.hidden_size, num_kv_heads * head_dim, c.attention_qkv_bias));
  v_proj = register_module("v_proj", linear(c.hidden_size, num_kv_heads * head_dim, c.attention_qkv_bias));
  o_proj = register_module("o_proj", linear(num_heads * head_dim, c.hidden_size, c.attention_out_bias));
}

at::Tensor AttentionImpl::forward(const at::Tensor& x, const AttentionContext& ctx, int64_t layer) {
  const int64_t B = x.size(0), T = x.size(1), G = num_heads / num_kv_heads;
  // One GEMM for q, k and v; the 1/sqrt(d) scale rides in the q rows (RoPE is linear, so scaling
  // before or after the rotation is the same).
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  auto w = qkv_.Get({q_proj->weight, k_proj->weight, v_proj->weight}, scale);
  at::Tensor bias;  // Qwen2 / Llama attention_bias: scaled like the weight rows
  if (q_proj->bias.defined()) bias = qkv_bias_.Get({q_proj->bias, k_proj->bias, v_proj->bias}, scale);
  auto qkv = FusedLinear(x, w, bias);
  if (ctx.fused) {
    return FusedLinear(FusedCausalAttention(qkv, ctx.cos.squeeze(2), ctx.sin.squeeze(2), ctx.key_valid, num_heads,
                                            num_kv_heads),
                       o_proj->weight, o_proj->bias);
  }
  const int64_t qk_heads = num_heads + num_kv_heads;
  // Rotary embedding (HF rotate-half) on q and k together.
  auto qk = ApplyRotary(qkv.narrow(-1, 0, qk_heads * head_dim).view({B, T, qk_heads, head_dim}), ctx.cos, ctx.sin);
  auto q = qk.narrow(2, 0, num_heads);
  auto k = qk.narrow(2, num_heads, num_kv_heads).transpose(1, 2);  // [B, Hkv, T, D]
  auto v = qkv.narrow(-1, qk_heads * head_dim, num_kv_heads * head_dim).view({B, T, num_kv_heads, head_dim}).transpose(1, 2);
  if (ctx.cache != nullptr) {
    auto& kc = ctx.cache->keys[layer];
    auto& vc = ctx.cache->values[layer];
    if (ctx.uniform_start) {
      kc.narrow(2, ctx.start, T).copy_(k);
      vc.narrow(2, ctx.start, T).copy_(v);
    } else {
      // Advanced indices in dims 0 and 2 with a slice between: values are [B, T, Hkv, D].
      using at::indexing::Slice;
      kc.index_put_({ctx.batch_index, Slice(), ctx.slot_index}, k.transpose(1, 2));
      vc.index_put_({ctx.batch_index, Slice(), ctx.slot_index}, v.transpose(1, 2));
    }
    k = kc.narrow(2, 0, ctx.key_len);
    v = vc.narrow(2, 0, ctx.key_len);
  }
  const int64_t S = k.size(2);
  // Group the query heads that share a key/value head: [B, Hkv, G*T, D]; no copy of k/v.
  auto qg = q.view({B, T, num_kv_heads, G, head_dim}).permute({0, 2, 3, 1, 4}).reshape({B, num_kv_heads, G * T, head_dim});
  auto scores = at::matmul(qg, k.transpose(2, 3)).view({B, num_kv_heads, G, T, S});
  scores.add_(ctx.mask);
  at::Tensor probs = x.scalar_type() == at::kFloat
                         ? at::softmax(scores, -1)
                         : at::softmax(scores, -1, at::kFloat).to(x.scalar_type());
  auto out = at::matmul(probs.view({B, num_kv_heads, G * T, S}), v);  // [B, Hkv, G*T, D]
  out = out.view({B, num_kv_heads, G, T, head_dim}).permute({0, 3, 1, 2, 4}).reshape({B, T, num_heads * head_dim});
  return FusedLinear(out, o_proj->weight, o_proj->bias);
}

MlpImpl::MlpImpl(const ModelConfig& c) {
  auto linear = [](int64_t in, int64_t out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  gate_proj = register_module("gate_proj", linear(c.hidden_size, c.intermediate_size));
  up_proj = register_module("up_proj", linear(c.hidden_size, c.intermediate_size));
  down_proj = register_module("down_proj", linear(c.intermediate_size, c.hidden_size));
}

at::Tensor MlpImpl::forward(const at::Tensor& x) {
  auto gu = FusedLinear(x, gate_up_.Get({gate_proj->weight, up_proj->weight}, 1.0), at::Tensor());
  const int64_t inter = gate_proj->weight.size(0);
  if (FusedOpsApply(gu)) return FusedLinear(FusedSwiGlu(gu), down_proj->weight, at::Tensor());
  return down_proj->forward(at::silu(gu.narrow(-1, 0, inter)) * gu.narrow(-1, inter, inter));
}

DecoderLayerImpl::DecoderLayerImpl(const ModelConfig& c) {
  self_attn = register_module("self_attn", Attention(c));
  mlp = register_module("mlp", Mlp(c));
  input_layernorm = register_module("input_layernorm", RmsNorm(c.hidden_size, c.rms_norm_eps));
  post_attention_layernorm =
      register_module("post_attention_layernorm", RmsNorm(c.hidden_size, c.rms_norm_eps));
}

at::Tensor DecoderLayerImpl::forward(const at::Tensor& x, const AttentionContext& ctx, int64_t layer) {
  auto h = x + self_attn->forward(input_layernorm->forward(x), ctx, layer);
  return h + mlp->forward(post_attention_layernorm->forward(h));
}

LlamaModelImpl::LlamaModelImpl(const ModelConfig& c) {
  embed_tokens = register_module("embed_tokens", torch::nn::Embedding(c.vocab_size, c.hidden_size));
  layers = register_module("layers", torch::nn::ModuleList());
  for (int i = 0; i < c.num_hidden_layers; ++i) layers->push_back(DecoderLayer(c));
  norm = register_module("norm", RmsNorm(c.hidden_size, c.rms_norm_eps));
}

LlamaForCausalLMImpl::LlamaForCausalLMImpl(const ModelConfig& config) : config_(config) {
  config_.Validate("model config");
  model = register_module("model", LlamaModel(config_));
  if (!config_.tie_word_embeddings) {
    lm_head = register_module(
        "lm_head", torch::nn::Linear(torch::nn::LinearOptions(config_.hidden_size, config_.vocab_size).bias(false)));
  }
  if (config_.value_head) {
    value_head = register_module("value_head", torch::nn::Linear(config_.hidden_size, 1));
  }
}

c10::TensorOptions LlamaForCausalLMImpl::options() const {
  const auto& w = model->norm->weight;
  return c10::TensorOptions().device(w.device()).dtype(w.scalar_type());
}

void LlamaForCausalLMImpl::RotaryTables(const at::Tensor& positions, AttentionContext* ctx) {
  auto [cos, sin] = RotaryCosSin(positions, RotaryInvFreq(config_));
  const auto dtype = options().dtype();
  ctx->cos = cos.unsqueeze(2).to(dtype);  // [B, T, 1, d]: broadcast over heads
  ctx->sin = sin.unsqueeze(2).to(dtype);
}

at::Tensor LlamaForCausalLMImpl::Run(const at::Tensor& input_ids, const at::Tensor& positions,
                                     AttentionContext& ctx) {
  RotaryTables(positions, &ctx);
  auto h = model->embed_tokens->forward(input_ids);
  int64_t i = 0;
  for (const auto& layer : *model->layers) {
    h = layer->as<DecoderLayer>()->forward(h, ctx, i++);
  }
  return model->norm->forward(h);
}

at::Tensor LlamaForCausalLMImpl::Hidden(const at::Tensor& input_ids, const at::Tensor& attention_mask) {
  TORCH_CHECK(input_ids.dim() == 2, "input_ids must be [batch, seq], got ", input_ids.sizes());
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  TORCH_CHECK(T <= config_.max_position_embeddings, "sequence length ", T,
              " exceeds max_position_embeddings ", config_.max_position_embeddings);
  const auto device = input_ids.device();
  auto idx = at::arange(T, at::TensorOptions().dtype(at::kLong).device(device));
  AttentionContext ctx;
  if (FusedOpsApply(model->norm->weight)) {
    // CPU fp32: causal attention with key padding in one fused op; no [B, T, T] mask.
    ctx.fused = true;
    at::Tensor positions = idx.view({1, T}).expand({B, T});
    if (attention_mask.defined()) {
      TORCH_CHECK(attention_mask.sizes() == input_ids.sizes(), "attention_mask shape ",
                  attention_mask.sizes(), " != input_ids shape ", input_ids.sizes());
      auto m = attention_mask.to(at::kLong);
      positions = (m.cumsum(1) - 1).clamp_min(0);
      ctx.key_valid = m.ne(0).to(at::kByte);
    }
    return Run(input_ids, positions, ctx);
  }
  auto allowed = idx.view({1, 1, T}) <= idx.view({1, T, 1});  // [1, T(query), T(key)] causal
  at::Tensor positions;
  if (attention_mask.defined()) {
    TORCH_CHECK(attention_mask.sizes() == input_ids.sizes(), "attention_mask shape ",
                attention_mask.sizes(), " != input_ids shape ", input_ids.sizes());
    auto m = attention_mask.to(at::kLong);
    positions = (m.cumsum(1) - 1).clamp_min(0);
    allowed = allowed & m.to(at::kBool).view({B, 1, T});
  } else {
    positions = idx.view({1, T}).expand({B, T});
  }
  ctx.mask = at::zeros(allowed.sizes(), options()).masked_fill(allowed.logical_not(), kMaskValue)
                 .view({allowed.size(0), 1, 1, T, T});
  return Run(input_ids, positions, ctx);
}

at::Tensor LlamaForCausalLMImpl::Forward(const at::Tensor& input_ids, const at::Tensor& attention_mask) {
  return Logits(Hidden(input_ids, attention_mask));
}

at::Tensor LlamaForCausalLMImpl::ForwardCached(const at::Tensor& input_ids,
                                               const std::vector<int64_t>& num_new, KvCache* cache) {
  TORCH_CHECK(input_ids.dim() == 2, "input_ids must be [batch, seq], got ", input_ids.sizes());
  const int64_t B = input_ids.size(0), T = input_ids.size(1);
  TORCH_CHECK(cache != nullptr && cache->batch() == B, "cache batch ", cache ? cache->batch() : -1,
              " != input batch ", B);
  TORCH_CHECK(static_cast<int64_t>(num_new.size()) == B, "num_new has ", num_new.size(), " rows, batch is ", B);
  int64_t max_start = 0, key_len = 0;
  bool uniform = true;
  for (int64_t b = 0; b < B; ++b) {
    TORCH_CHECK(num_new[b] >= 0 && num_new[b] <= T, "num_new[", b, "] = ", num_new[b], " outside [0, ", T, "]");
    max_start = std::max(max_start, cache->lengths[b]);
    key_len = std::max(key_len, cache->lengths[b] + num_new[b]);
    uniform = uniform && cache->lengths[b] == cache->lengths[0];
  }
  TORCH_CHECK(key_len <= config_.max_position_embeddings, "sequence would reach ", key_len,
              " positions; max_position_embeddings is ", config_.max_position_embeddings);
  cache->Reserve(max_start + T);  // padded tail tokens are written too (never read)
  key_len = std::max<int64_t>(key_len, 1);

  const auto device = input_ids.device();
  const auto long_opts = at::TensorOptions().dtype(at::kLong);
  auto starts = at::tensor(cache->lengths, long_opts).to(device).view({B, 1});
  auto t_idx = at::arange(T, long_opts.device(device)).view({1, T});
  auto positions = starts + t_idx;  // [B, T]
  auto s_idx = at::arange(key_len, long_opts.device(device)).view({1, 1, key_len});
  auto allowed = s_idx <= positions.unsqueeze(-1);  // [B, T, S]: causal over cache + chunk

  AttentionContext ctx;
  ctx.cache = cache;
  ctx.key_len = key_len;
  ctx.uniform_start = uniform;
  ctx.start = cache->lengths[0];
  if (!uniform) {
    ctx.batch_index = at::arange(B, long_opts.device(device)).view({B, 1});
    ctx.slot_index = positions;
  }
  ctx.mask = at::zeros(allowed.sizes(), options()).masked_fill(allowed.logical_not(), kMaskValue)
                 .view({B, 1, 1, T, key_len});
  auto hidden = Run(input_ids, positions.clamp_max(config_.max_position_embeddings - 1), ctx);
  for (int64_t b = 0; b < B; ++b) cache->lengths[b] += num_new[b];
  return hidden;
}

at::Tensor LlamaForCausalLMImpl::Logits(const at::Tensor& hidden) {
  if (lm_head) return FusedLinear(hidden, lm_head->weight, at::Tensor());
  return FusedLinear(hidden, model->embed_tokens->weight, at::Tensor());
}

at::Tensor LlamaForCausalLMImpl::Values(const at::Tensor& hidden) {
  TORCH_CHECK(value_head, "this model has no value head (config value_head=false)");
  return value_head->forward(hidden);
}

void LlamaForCausalLMImpl::InitWeights(uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  at::NoGradGuard no_grad;
  for (auto& item : named_parameters(/*recurse=*/true)) {
    const std::string& name = item.key();
    auto& p = item.value();
    at::Tensor init;
    if (name.size() >= 11 && name.compare(name.size() - 11, 11, "norm.weight") == 0) {
      init = at::ones(p.sizes());
    } else if (name.size() >= 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
      init = at::zeros(p.sizes());
    } else {
      init = at::empty(p.sizes()).normal_(0.0, config_.initializer_range, gen);
    }
    p.copy_(init);
  }
}

std::pair<at::Tensor, at::Tensor> RotaryCosSin(const at::Tensor& positions, const std::vector<float>& inv_freq_values) {
  // HF LlamaRotaryEmbedding: angles position * inv_freq in fp32, halves repeated.
  auto inv_freq = at::tensor(inv_freq_values, at::TensorOptions().dtype(at::kFloat)).to(positions.device());
  auto freqs = positions.to(at::kFloat).unsqueeze(-1) * inv_freq;
  auto emb = at::cat({freqs, freqs}, -1);
  return {emb.cos(), emb.sin()};
}

std::pair<at::Tensor, at::Tensor> RotaryCosSin(const at::Tensor& positions, int64_t head_dim, double theta) {
  ModelConfig plain;
  plain.hidden_size = static_cast<int>(head_dim);
  plain.num_attention_heads = 1;
  plain.rope_theta = theta;
  return RotaryCosSin(positions, RotaryInvFreq(plain));
}

at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  return x * cos + RotateHalf(x) * sin;
}

// ---------------------------------------------------------------------------------------------
// Device, dtype, construction

c10::Device ResolveDevice(const std::string& device) {
  const util::Location where{"", 0, "device"};
  if (device == "cpu") return c10::Device(c10::kCPU);
  if (device.rfind("cuda", 0) != 0) {
    throw util::InputError(where, "unknown device '" + device + "' (use cpu, cuda or cuda:N)");
  }
  c10::Device parsed(c10::kCPU);
  try {
    parsed = c10::Device(device);
  } catch (const std::exception&) {
    throw util::InputError(where, "malformed device '" + device + "' (use cpu, cuda or cuda:N)");
  }
  if (!torch::cuda::is_available()) {
    throw util::InputError(where, "device '" + device + "' requested but CUDA is not available in this build/machine");
  }
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  if (parsed.has_index() && parsed.index() >= count) {
    throw util::InputError(where, "device '" + device + "' requested but only " + std::to_string(count) +
                                      " CUDA device(s) exist");
  }
  return parsed;
}

c10::ScalarType ResolveDtype(const std::string& dtype) {
  if (dtype == "float32" || dtype == "fp32") return at::kFloat;
  if (dtype == "bfloat16" || dtype == "bf16") return at::kBFloat16;
  if (dtype == "float16" || dtype == "fp16") return at::kHalf;
  throw util::InputError(util::Location{"", 0, "dtype"},
                         "unknown dtype '" + dtype + "' (use float32 or bfloat16)");
}

std::string DtypeName(c10::ScalarType dtype) {
  switch (dtype) {
    case at::kFloat: return "float32";
    case at::kBFloat16: return "bfloat16";
    case at::kHalf: return "float16";
    default: return c10::toString(dtype);
  }
}

LlamaForCausalLM BuildModel(const ModelConfig& config, const RuntimeConfig& runtime, uint64_t seed) {
  SetTorchThreads(runtime.threads);
  const auto device = ResolveDevice(runtime.device);
  const auto dtype = ResolveDtype(runtime.dtype);
  LlamaForCausalLM model(config);
  model->InitWeights(seed);
  model->to(device, dtype);
  return model;
}

}  // namespace trainers
