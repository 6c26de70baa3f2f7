#include "trainers/model/cpu_decoder.h"

#include <algorithm>
#include <cmath>

#include <ATen/ATen.h>

#include "trainers/model/decode_kernels.h"
#include "trainers/model/train_kernels.h"

namespace trainers {
namespace {

// Weights [out, in] (several stacked along out) -> [in, out] packed for kernels::MatMulPacked, in
// one pass (packing runs once per Generate wave, so it counts against every wave's decode time).
std::vector<float> Packed(const std::vector<at::Tensor>& parts) {
  std::vector<at::Tensor> kept;  // contiguous views (copies only if a weight is not contiguous)
  std::vector<std::pair<const float*, int64_t>> blocks;
  for (const auto& p : parts) {
    kept.push_back(p.detach().contiguous());
    blocks.emplace_back(kept.back().data_ptr<float>(), kept.back().size(0));
  }
  return kernels::PackPanelsFromRows(blocks, parts[0].size(1));
}

// rows[b][:] += bias (an undefined bias: no bias).
void AddBias(const at::Tensor& bias, int64_t rows, int64_t width, float* out) {
  if (!bias.defined()) return;
  const float* b = bias.data_ptr<float>();
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < width; ++i) out[r * width + i] += b[i];
  }
}

}  // namespace

bool CpuDecoder::Supports(const LlamaForCausalLMImpl& model) {
  const auto options = model.options();
  return options.device().is_cpu() && options.dtype() == at::kFloat;
}

CpuDecoder::CpuDecoder(const LlamaForCausalLMImpl& model) : config_(model.config()) {
  at::NoGradGuard no_grad;
  for (const auto& module : *model.model->layers) {
    const auto* layer = module->as<DecoderLayer>();
    const auto& attn = layer->self_attn;
    const auto& mlp = layer->mlp;
    layers_.push_back(Layer{Packed({attn->q_proj->weight, attn->k_proj->weight, attn->v_proj->weight}),
                            Packed({attn->o_proj->weight}), Packed({mlp->gate_proj->weight, mlp->up_proj->weight}),
                            Packed({mlp->down_proj->weight}), layer->input_layernorm->weight.detach().contiguous(),
                            layer->post_attention_layernorm->weight.detach().contiguous(), {}, {}});
    if (attn->q_proj->bias.defined()) {
      layers_.back().qkv_bias = at::cat({attn->q_proj->bias, attn->k_proj->bias, attn->v_proj->bias}).detach().contiguous();
    }
    if (attn->o_proj->bias.defined()) layers_.back().o_bias = attn->o_proj->bias.detach().contiguous();
  }
  embed_ = model.model->embed_tokens->weight.detach().contiguous();
  head_ = Packed({model.lm_head ? model.lm_head->weight : model.model->embed_tokens->weight});
  final_norm_ = model.model->norm->weight.detach().contiguous();
  inv_freq_ = RotaryInvFreq(config_);
}

at::Tensor CpuDecoder::Step(const std::vector<int>& ids, KvCache* cache) {
  const int64_t B = static_cast<int64_t>(ids.size());
  const int64_t H = config_.hidden_size, D = config_.head_dim(), I = config_.intermediate_size;
  const int64_t nh = config_.num_attention_heads, nkv = config_.num_key_value_heads, G = nh / nkv;
  const int64_t qkv_width = (nh + 2 * nkv) * D;
  TORCH_CHECK(cache != nullptr && cache->batch() == B, "cache batch does not match ", B, " ids");
  int64_t max_len = 0;
  for (int64_t len : cache->lengths) max_len = std::max(max_len, len);
  TORCH_CHECK(max_len + 1 <= config_.max_position_embeddings, "sequence would reach ", max_len + 1,
              " positions; max_position_embeddings is ", config_.max_position_embeddings);
  cache->Reserve(max_len + 1);
  const int64_t capacity = cache->capacity;

  x_.resize(B * H), h_.resize(B * H), qkv_.resize(B * qkv_width), attn_.resize(B * nh * D);
  gu_.resize(B * 2 * I), act_.resize(B * I), scores_.resize(max_len + 1);
  cos_.resize(B * D / 2), sin_.resize(B * D / 2);

  const float* embed = embed_.data_ptr<float>();
  for (int64_t b = 0; b < B; ++b) {
    TORCH_CHECK(ids[b] >= 0 && ids[b] < config_.vocab_size, "token id ", ids[b], " outside the vocabulary");
    std::copy(embed + ids[b] * H, embed + (ids[b] + 1) * H, x_.data() + b * H);
    const float position = static_cast<float>(cache->lengths[b]);
    for (int64_t i = 0; i < D / 2; ++i) {
      const float angle = position * inv_freq_[i];
      cos_[b * D / 2 + i] = std::cos(angle);
      sin_[b * D / 2 + i] = std::sin(angle);
    }
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(D));
  const float eps = static_cast<float>(config_.rms_norm_eps);

  for (size_t l = 0; l < layers_.size(); ++l) {
    const Layer& layer = layers_[l];
    float* key_cache = cache->keys[l].data_ptr<float>();
    float* value_cache = cache->values[l].data_ptr<float>();
    TORCH_CHECK(cache->keys[l].is_contiguous() && cache->values[l].is_contiguous(), "KV cache must be contiguous");

    // Attention block.
    for (int64_t b = 0; b < B; ++b) {
      kernels::RmsNorm(x_.data() + b * H, H, layer.input_norm.data_ptr<float>(), eps, h_.data() + b * H);
    }
    kernels::MatMulPacked(h_.data(), H, B, H, layer.qkv.data(), qkv_width, qkv_.data(), qkv_width,
                          /*accumulate=*/false);
    AddBias(layer.qkv_bias, B, qkv_width, qkv_.data());
    for (int64_t b = 0; b < B; ++b) {
      float* row = qkv_.data() + b * qkv_width;
      const float* c = cos_.data() + b * D / 2;
      const float* s = sin_.data() + b * D / 2;
      for (int64_t head = 0; head < nh + nkv; ++head) kernels::RotateHalf(row + head * D, D, c, s);
      const int64_t slot = cache->lengths[b];
      for (int64_t kv = 0; kv < nkv; ++kv) {
        const int64_t base = ((b * nkv + kv) * capacity) * D;
        std::copy_n(row + (nh + kv) * D, D, key_cache + base + slot * D);
        std::copy_n(row + (nh + nkv + kv) * D, D, value_cache + base + slot * D);
        float* q = row + kv * G * D;  // the G query heads of this key/value head, consecutive
        for (int64_t i = 0; i < G * D; ++i) q[i] *= scale;
        kernels::AttendGroup(q, G, key_cache + base, value_cache + base, slot + 1, D, D, scores_.data(),
                             attn_.data() + (b * nh + kv * G) * D);
      }
    }
    kernels::MatMulPacked(attn_.data(), nh * D, B, nh * D, layer.o.data(), H, x_.data(), H, /*accumulate=*/true);
    AddBias(layer.o_bias, B, H, x_.data());

    // MLP block.
    for (int64_t b = 0; b < B; ++b) {
      kernels::RmsNorm(x_.data() + b * H, H, layer.post_norm.data_ptr<float>(), eps, h_.data() + b * H);
    }
    kernels::MatMulPacked(h_.data(), H, B, H, layer.gate_up.data(), 2 * I, gu_.data(), 2 * I, /*accumulate=*/false);
    kernels::SwiGluForward(gu_.data(), B, I, act_.data());
    kernels::MatMulPacked(act_.data(), I, B, I, layer.down.data(), H, x_.data(), H, /*accumulate=*/true);
  }

  for (int64_t b = 0; b < B; ++b) {
    kernels::RmsNorm(x_.data() + b * H, H, final_norm_.data_ptr<float>(), eps, h_.data() + b * H);
  }
  const int64_t V = config_.vocab_size;
  at::Tensor logits = at::empty({B, V}, at::TensorOptions().dtype(at::kFloat));
  kernels::MatMulPacked(h_.data(), H, B, H, head_.data(), V, logits.data_ptr<float>(), V, /*accumulate=*/false);
  for (int64_t b = 0; b < B; ++b) cache->lengths[b] += 1;
  return logits;
}

}  // namespace trainers
