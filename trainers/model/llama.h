// Llama-family decoder (RMSNorm, rotate-half RoPE, SwiGLU, grouped-query attention) whose
// named_parameters() are exactly the Hugging Face LlamaForCausalLM tensor names, plus the KV cache
// used by generation. One forward path serves training (full sequence, optional padding mask) and
// generation (ragged chunks appended to a preallocated cache).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/TensorOptions.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "trainers/model/config.h"

namespace trainers {

// Per-layer keys/values of a batch of sequences, laid out [batch, kv_heads, capacity, head_dim].
// Row b holds lengths[b] valid positions (slots 0..lengths[b]-1); rows may differ in length, so
// sequences of any prompt length share one batch without padding inside the cache.
struct KvCache {
  std::vector<at::Tensor> keys, values;
  std::vector<int64_t> lengths;
  int64_t capacity = 0;

  static KvCache Allocate(const ModelConfig& config, int64_t batch, int64_t capacity,
                          const c10::TensorOptions& options);
  int64_t batch() const { return static_cast<int64_t>(lengths.size()); }
  // Grows every layer to at least `capacity` slots (keeps contents).
  void Reserve(int64_t capacity);
  // Keeps/reorders/replicates rows: new row i is old row rows[i] (used to fan a prompt out to n
  // samples and to drop finished sequences).
  void SelectRows(const std::vector<int64_t>& rows);
  // A cache holding copies of the given rows (this one is unchanged): a sequence that leaves the batch
  // while it waits on a tool call keeps its prefix here.
  KvCache ExtractRows(const std::vector<int64_t>& rows) const;
  // Adds `other`'s rows after this cache's rows (the waiting sequence rejoins); capacities are
  // reconciled by growing the smaller one.
  void AppendRows(const KvCache& other);
};

// Several projection weights concatenated along the output dimension so one GEMM replaces several
// (q/k/v, gate/up). With autograd on, the concatenation is rebuilt every call so gradients reach
// the HF-named parameters; with it off (generation), it is cached and rebuilt only when a weight
// changes (version counter or storage), e.g. after an optimizer step or a checkpoint load.
struct FusedWeight {
  at::Tensor Get(const std::vector<at::Tensor>& parts, double first_scale);

 private:
  at::Tensor fused_;
  std::vector<int64_t> versions_;
  std::vector<const void*> storages_;
  bool inference_ = false;
};

struct RmsNormImpl : torch::nn::Module {
  RmsNormImpl(int64_t dim, double eps);
  at::Tensor forward(const at::Tensor& x);
  at::Tensor weight;
  double eps;
};
TORCH_MODULE(RmsNorm);

// Inputs shared by all layers of one forward pass.
struct AttentionContext {
  at::Tensor cos, sin;       // [B, T, 1, head_dim] rotary tables at each token's position
  at::Tensor mask;           // additive, [B, 1, 1, T, S]: 0 where a query may attend, very negative elsewhere
  KvCache* cache = nullptr;  // null: attend within the chunk only
  at::Tensor batch_index;    // [B, 1] (cache writes)
  at::Tensor slot_index;     // [B, T] cache slot of each new token
  int64_t key_len = 0;       // S: cache slots attended (cache path)
  bool uniform_start = false;  // every row starts at the same slot: write with a narrow copy
  int64_t start = 0;
  // Full-sequence CPU fp32 forward (no cache): FusedCausalAttention (train_ops.h) instead of the
  // additive mask, which is then not built; key_valid [B, T] (undefined: no padding).
  bool fused = false;
  at::Tensor key_valid;
};

struct AttentionImpl : torch::nn::Module {
  explicit AttentionImpl(const ModelConfig& config);
  at::Tensor forward(const at::Tensor& x, const AttentionContext& ctx, int64_t layer);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  int64_t num_heads, num_kv_heads, head_dim;
  FusedWeight qkv_;  // [q * 1/sqrt(d); k; v]: the attention scale folded into the query rows
  FusedWeight qkv_bias_;  // the same for the biases, when the config has them
};
TORCH_MODULE(Attention);

struct MlpImpl : torch::nn::Module {
  explicit MlpImpl(const ModelConfig& config);
  at::Tensor forward(const at::Tensor& x);
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
  FusedWeight gate_up_;
};
TORCH_MODULE(Mlp);

struct DecoderLayerImpl : torch::nn::Module {
  explicit DecoderLayerImpl(const ModelConfig& config);
  at::Tensor forward(const at::Tensor& x, const AttentionContext& ctx, int64_t layer);
  Attention self_attn{nullptr};
  Mlp mlp{nullptr};
  RmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(DecoderLayer);

// "model." in HF names.
struct LlamaModelImpl : torch::nn::Module {
  explicit LlamaModelImpl(const ModelConfig& config);
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers{nullptr};
  RmsNorm norm{nullptr};
};
TORCH_MODULE(LlamaModel);

class LlamaForCausalLMImpl : public torch::nn::Module {
 public:
  explicit LlamaForCausalLMImpl(const ModelConfig& config);

  // Full-sequence forward. input_ids [B, T] int64. attention_mask [B, T] (1 = token, 0 = padding,
  // left or right) or undefined for no padding; position ids count only real tokens, as HF does.
  // Returns the final hidden states after model.norm, [B, T, hidden].
  at::Tensor Hidden(const at::Tensor& input_ids, const at::Tensor& attention_mask = {});
  // Logits [B, T, vocab] for the full sequence (Hidden + lm_head).
  at::Tensor Forward(const at::Tensor& input_ids, const at::Tensor& attention_mask = {});

  // Appends a ragged chunk to `cache`: row b contributes its first num_new[b] tokens of
  // input_ids [B, T] (the rest is padding and ignored) at positions cache->lengths[b] + t.
  // Returns hidden states [B, T, hidden]; rows' padded positions hold garbage. Advances lengths.
  at::Tensor ForwardCached(const at::Tensor& input_ids, const std::vector<int64_t>& num_new,
                           KvCache* cache);

  at::Tensor Logits(const at::Tensor& hidden);  // lm_head (or tied embedding) projection
  at::Tensor Values(const at::Tensor& hidden);  // [.., 1] value head; throws when not configured

  // Normal(0, initializer_range) for every weight matrix, ones for norms, zero biases, from one
  // seeded CPU generator in parameter-name order, so a seed gives the same weights on any device.
  void InitWeights(uint64_t seed);

  const ModelConfig& config() const { return config_; }
  c10::TensorOptions options() const;  // device and dtype of the parameters

  LlamaModel model{nullptr};
  torch::nn::Linear lm_head{nullptr};     // null when tie_word_embeddings
  torch::nn::Linear value_head{nullptr};  // null unless config.value_head

 private:
  at::Tensor Run(const at::Tensor& input_ids, const at::Tensor& positions, AttentionContext& ctx);
  void RotaryTables(const at::Tensor& positions, AttentionContext* ctx);

  ModelConfig config_;
};
TORCH_MODULE(LlamaForCausalLM);

// Rotary embedding (HF rotate-half convention): cos/sin tables [..., head_dim] for integer
// `positions` [...] and inv_freq (RotaryInvFreq of the config), and their application to x [..., head_dim].
std::pair<at::Tensor, at::Tensor> RotaryCosSin(const at::Tensor& positions, const std::vector<float>& inv_freq);
// The same without rope scaling: inv_freq[i] = theta^(-2i/head_dim).
std::pair<at::Tensor, at::Tensor> RotaryCosSin(const at::Tensor& positions, int64_t head_dim, double theta);
at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

// "cpu", "cuda", "cuda:N" -> device; throws util::InputError when it does not exist here.
c10::Device ResolveDevice(const std::string& device);
// "float32"/"fp32", "bfloat16"/"bf16" (also "float16"/"fp16" for loading) -> dtype.
c10::ScalarType ResolveDtype(const std::string& dtype);
std::string DtypeName(c10::ScalarType dtype);  // HF torch_dtype string

// Builds a randomly initialised model on the runtime's device/dtype and applies runtime.threads.
LlamaForCausalLM BuildModel(const ModelConfig& config, const RuntimeConfig& runtime, uint64_t seed);

}  // namespace trainers
