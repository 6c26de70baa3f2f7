// Vectorised greedy / temperature / top-k / top-p sampling with caller-supplied uniforms.
#include "trainers/generation/sampling.h"

#include <ATen/ATen.h>

namespace trainers {
namespace {

struct Truncated {
  at::Tensor sorted_index;  // [B, V] token ids by descending scaled logit
  at::Tensor kept_probs;    // [B, V] renormalised-to-nothing probabilities in sorted order (0 = dropped)
  at::Tensor kept_count;    // [B] int64, >= 1
  at::Tensor scaled;        // [B, V] logits / temperature
};

Truncated Truncate(const at::Tensor& logits, const std::vector<SamplingParams>& params) {
  const int64_t B = logits.size(0), V = logits.size(1);
  std::vector<float> temps(B), top_p(B);
  std::vector<int64_t> top_k(B);
  for (int64_t b = 0; b < B; ++b) {
    const auto& p = params[b];
    temps[b] = p.temperature > 0 ? static_cast<float>(p.temperature) : 1.0f;
    top_k[b] = p.top_k > 0 && p.top_k < V ? p.top_k : V;
    top_p[b] = p.top_p > 0 && p.top_p < 1 ? static_cast<float>(p.top_p) : 2.0f;  // 2: never truncates
  }
  const auto device = logits.device();
  auto fopts = at::TensorOptions().dtype(at::kFloat);
  Truncated t;
  t.scaled = logits.to(at::kFloat) / at::tensor(temps, fopts).to(device).view({B, 1});
  auto sorted = at::sort(t.scaled, /*stable=*/true, /*dim=*/-1, /*descending=*/true);
  t.sorted_index = std::get<1>(sorted);
  auto probs = at::softmax(std::get<0>(sorted), -1);
  auto rank = at::arange(V, at::TensorOptions().dtype(at::kLong).device(device)).view({1, V});
  auto drop_k = rank >= at::tensor(top_k, at::TensorOptions().dtype(at::kLong)).to(device).view({B, 1});
  // Exclusive cumulative mass >= p: the tokens before this one already reach p (rank 0 always kept).
  auto mass_before = probs.cumsum(-1) - probs;
  auto drop_p = mass_before >= at::tensor(top_p, fopts).to(device).view({B, 1});
  auto drop = drop_k.logical_or(drop_p);
  drop.select(1, 0).fill_(false);
  t.kept_probs = probs.masked_fill(drop, 0.0);
  t.kept_count = drop.logical_not().sum(-1);
  return t;
}

}  // namespace

SampledTokens SampleTokens(const at::Tensor& logits, const std::vector<SamplingParams>& params,
                           const std::vector<double>& uniforms) {
  TORCH_CHECK(logits.dim() == 2, "logits must be [batch, vocab]");
  const int64_t B = logits.size(0);
  TORCH_CHECK(static_cast<int64_t>(params.size()) == B && static_cast<int64_t>(uniforms.size()) == B,
              "need one SamplingParams and one uniform per row");
  bool all_greedy = true;
  for (const auto& p : params) all_greedy = all_greedy && p.temperature <= 0;
  SampledTokens out;
  if (all_greedy) {
    auto lf = logits.to(at::kFloat);
    out.tokens = lf.argmax(-1);
    out.logprobs = at::log_softmax(lf, -1).gather(1, out.tokens.view({B, 1})).view({B});
    return out;
  }
  Truncated t = Truncate(logits, params);
  const auto device = logits.device();
  auto cdf = t.kept_probs.cumsum(-1);                                  // [B, V]
  auto u = at::tensor(uniforms, at::TensorOptions().dtype(at::kDouble)).to(device).to(at::kFloat).view({B, 1});
  auto target = u * cdf.select(1, -1).view({B, 1});
  auto choice = at::searchsorted(cdf, target, /*out_int32=*/false, /*right=*/true).view({B});
  choice = at::minimum(choice, t.kept_count - 1);                      // guard u*mass rounding up
  std::vector<uint8_t> greedy(B);
  for (int64_t b = 0; b < B; ++b) greedy[b] = params[b].temperature <= 0;
  auto greedy_mask = at::tensor(std::vector<int64_t>(greedy.begin(), greedy.end()), at::TensorOptions().dtype(at::kLong))
                         .to(device).to(at::kBool);
  choice = choice.masked_fill(greedy_mask, 0);  // sorted position 0 = argmax (lowest id among ties)
  out.tokens = t.sorted_index.gather(1, choice.view({B, 1})).view({B});
  out.logprobs = at::log_softmax(t.scaled, -1).gather(1, out.tokens.view({B, 1})).view({B});
  return out;
}

at::Tensor TruncatedDistribution(const at::Tensor& logits_row, const SamplingParams& params) {
  Truncated t = Truncate(logits_row.view({1, -1}), {params});
  auto kept = t.kept_probs / t.kept_probs.sum(-1, /*keepdim=*/true);
  return at::zeros_like(kept).scatter(1, t.sorted_index, kept).view({-1});
}

}  // namespace trainers
