// Vectorised greedy / temperature / top-k / top-p sampling with caller-supplied uniforms.
#include "trainers/generation/sampling.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

SampledTokens SampleTokensReference(const at::Tensor& logits, const std::vector<SamplingParams>& params,
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

namespace {

// One row's draw and log-probability, as SampleTokensReference makes them, without sorting the whole vocabulary:
// the tokens are put in order (scaled logit descending, ties to the lower id) only as far as the walk along the
// cumulative mass needs. The first token is the row's argmax, and for a trained model's peaked distribution most
// draws stop there. Probabilities are normalised by a double sum and cumulated in double, each prefix rounded to
// float as at::cumsum does on the CPU, so the draw is the reference's except where u * mass falls within float
// rounding of a boundary.
struct RowDraw {
  int64_t token = 0;
  float logprob = 0;
};

class RowSampler {
 public:
  RowDraw Draw(const float* logits, int64_t V, const SamplingParams& params, double uniform) {
    const bool greedy = params.temperature <= 0;
    const float temperature = greedy ? 1.0f : static_cast<float>(params.temperature);
    scaled_.resize(V);
    probs_.resize(V);
    float max = -std::numeric_limits<float>::infinity();
    int64_t argmax = 0;
    for (int64_t v = 0; v < V; ++v) {
      scaled_[v] = logits[v] / temperature;
      if (scaled_[v] > max) max = scaled_[v], argmax = v;  // the first maximum: the lowest id among ties
    }
    double sum = 0;
    for (int64_t v = 0; v < V; ++v) {
      probs_[v] = std::exp(scaled_[v] - max);
      sum += probs_[v];
    }
    const float log_sum = static_cast<float>(std::log(sum));
    const auto draw = [&](int64_t token) { return RowDraw{token, (scaled_[token] - max) - log_sum}; };
    if (greedy) return draw(argmax);
    const double inv = 1.0 / sum;
    for (int64_t v = 0; v < V; ++v) probs_[v] = static_cast<float>(probs_[v] * inv);
    sorted_ = 0;
    argmax_ = argmax;
    // The kept prefix (top-k, then top-p on the mass before each token; the first is always kept) and its mass.
    const int64_t top_k = params.top_k > 0 && params.top_k < V ? params.top_k : V;
    const bool nucleus = params.top_p > 0 && params.top_p < 1;
    int64_t kept = top_k;
    float mass = 0;
    if (!nucleus && kept == V) {
      double total = 0;
      for (int64_t v = 0; v < V; ++v) total += probs_[v];
      mass = static_cast<float>(total);
    } else {
      const float top_p = nucleus ? static_cast<float>(params.top_p) : 2.0f;
      double cumulative = 0;
      for (int64_t r = 0; r < top_k; ++r) {
        const float p = probs_[TokenAt(r, V)];
        const float mass_before = static_cast<float>(cumulative + p) - p;
        if (r > 0 && mass_before >= top_p) {
          kept = r;
          break;
        }
        cumulative += p;
      }
      mass = static_cast<float>(cumulative);
    }
    // The first kept token whose cumulative mass exceeds u * mass (the last kept one if rounding never lets it).
    const float target = static_cast<float>(uniform) * mass;
    double cumulative = 0;
    for (int64_t r = 0; r < kept; ++r) {
      const int64_t token = TokenAt(r, V);
      cumulative += probs_[token];
      if (static_cast<float>(cumulative) > target) return draw(token);
    }
    return draw(TokenAt(kept - 1, V));
  }

 private:
  // The r-th token in order; position 0 is the argmax, later ones are sorted in growing blocks on demand.
  int64_t TokenAt(int64_t r, int64_t V) {
    if (r == 0) return argmax_;
    if (r >= sorted_) {
      if (sorted_ == 0) {
        order_.resize(V);
        for (int64_t v = 0; v < V; ++v) order_[v] = static_cast<int32_t>(v);
      }
      const auto before = [this](int32_t a, int32_t b) {
        return scaled_[a] > scaled_[b] || (scaled_[a] == scaled_[b] && a < b);
      };
      const int64_t upto = std::min<int64_t>(V, std::max<int64_t>({r + 1, 2 * sorted_, 16}));
      std::partial_sort(order_.begin() + sorted_, order_.begin() + upto, order_.end(), before);
      sorted_ = upto;
    }
    return order_[r];
  }

  std::vector<float> scaled_, probs_;
  std::vector<int32_t> order_;
  int64_t sorted_ = 0, argmax_ = 0;
};

}  // namespace

SampledTokens SampleTokens(const at::Tensor& logits, const std::vector<SamplingParams>& params,
                           const std::vector<double>& uniforms) {
  TORCH_CHECK(logits.dim() == 2, "logits must be [batch, vocab]");
  const int64_t B = logits.size(0), V = logits.size(1);
  TORCH_CHECK(static_cast<int64_t>(params.size()) == B && static_cast<int64_t>(uniforms.size()) == B,
              "need one SamplingParams and one uniform per row");
  bool all_greedy = true;
  for (const auto& p : params) all_greedy = all_greedy && p.temperature <= 0;
  if (all_greedy || !logits.device().is_cpu() || logits.scalar_type() != at::kFloat) {
    return SampleTokensReference(logits, params, uniforms);
  }
  // CPU float rows drawn one by one (the reference's sort of every row was half a rollout's decode time).
  const at::Tensor lf = logits.contiguous();
  const float* data = lf.data_ptr<float>();
  at::Tensor tokens = at::empty({B}, at::TensorOptions().dtype(at::kLong));
  at::Tensor logprobs = at::empty({B}, at::TensorOptions().dtype(at::kFloat));
  int64_t* token_out = tokens.data_ptr<int64_t>();
  float* logprob_out = logprobs.data_ptr<float>();
  RowSampler sampler;
  for (int64_t b = 0; b < B; ++b) {
    const RowDraw d = sampler.Draw(data + b * V, V, params[b], uniforms[b]);
    token_out[b] = d.token;
    logprob_out[b] = d.logprob;
  }
  return {tokens, logprobs};
}

at::Tensor TruncatedDistribution(const at::Tensor& logits_row, const SamplingParams& params) {
  Truncated t = Truncate(logits_row.view({1, -1}), {params});
  auto kept = t.kept_probs / t.kept_probs.sum(-1, /*keepdim=*/true);
  return at::zeros_like(kept).scatter(1, t.sorted_index, kept).view({-1});
}

}  // namespace trainers
