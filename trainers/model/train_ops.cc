// Autograd nodes around the loops of train_kernels.cc.
#include "trainers/model/train_ops.h"

#include <vector>

#include <ATen/ATen.h>
#include <torch/autograd.h>

#include "trainers/model/train_kernels.h"

namespace trainers {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct RmsNormFn : torch::autograd::Function<RmsNormFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& weight, double eps) {
    auto x = x_in.contiguous();
    auto w = weight.contiguous();
    const int64_t n = x.size(-1), rows = x.numel() / n;
    auto y = at::empty_like(x);
    auto inv = at::empty({rows}, x.options());
    kernels::RmsNormForward(x.data_ptr<float>(), w.data_ptr<float>(), rows, n, static_cast<float>(eps),
                            y.data_ptr<float>(), inv.data_ptr<float>());
    ctx->save_for_backward({x, w, inv});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &inv = saved[2];
    auto dy = grads[0].contiguous();
    const int64_t n = x.size(-1), rows = x.numel() / n;
    auto dx = at::empty_like(x);
    auto dw = at::zeros_like(w);
    kernels::RmsNormBackward(dy.data_ptr<float>(), x.data_ptr<float>(), w.data_ptr<float>(), inv.data_ptr<float>(),
                             rows, n, dx.data_ptr<float>(), dw.data_ptr<float>());
    return {dx, dw, at::Tensor()};
  }
};

struct SwiGluFn : torch::autograd::Function<SwiGluFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& gu_in) {
    auto gu = gu_in.contiguous();
    const int64_t inter = gu.size(-1) / 2, rows = gu.numel() / gu.size(-1);
    auto sizes = gu.sizes().vec();
    sizes.back() = inter;
    auto out = at::empty(sizes, gu.options());
    kernels::SwiGluForward(gu.data_ptr<float>(), rows, inter, out.data_ptr<float>());
    ctx->save_for_backward({gu});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto gu = ctx->get_saved_variables()[0];
    auto dout = grads[0].contiguous();
    const int64_t inter = gu.size(-1) / 2, rows = gu.numel() / gu.size(-1);
    auto dgu = at::empty_like(gu);
    kernels::SwiGluBackward(dout.data_ptr<float>(), gu.data_ptr<float>(), rows, inter, dgu.data_ptr<float>());
    return {dgu};
  }
};

struct CausalAttentionFn : torch::autograd::Function<CausalAttentionFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& qkv_in, const at::Tensor& cos_in,
                            const at::Tensor& sin_in, const at::Tensor& key_valid, int64_t nh, int64_t nkv) {
    auto qkv = qkv_in.contiguous();
    auto cos = cos_in.contiguous(), sin = sin_in.contiguous();
    const int64_t B = qkv.size(0), T = qkv.size(1), D = qkv.size(2) / (nh + 2 * nkv), G = nh / nkv, BK = B * nkv;
    const auto opts = qkv.options();
    auto q = at::empty({BK, T * G, D}, opts), k = at::empty({BK, T, D}, opts), v = at::empty_like(k);
    kernels::AttentionGather(qkv.data_ptr<float>(), B, T, nh, nkv, D, cos.data_ptr<float>(), sin.data_ptr<float>(),
                             q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>());
    auto probs = at::empty({BK, T * G, T}, opts);
    kernels::CausalScores(q.data_ptr<float>(), k.data_ptr<float>(), BK, G, T, D, probs.data_ptr<float>());
    const uint8_t* valid = key_valid.numel() > 0 ? key_valid.data_ptr<uint8_t>() : nullptr;
    kernels::CausalSoftmax(probs.data_ptr<float>(), B, nkv, G, T, valid);
    auto grouped = at::empty_like(q);
    kernels::CausalRowsTimes(probs.data_ptr<float>(), v.data_ptr<float>(), BK, G, T, D, grouped.data_ptr<float>());
    const std::vector<int64_t> first_valid = kernels::FirstValidKey(valid, B, T);
    kernels::PaddedQueryForward(v.data_ptr<float>(), B, nkv, G, T, D, first_valid, grouped.data_ptr<float>());
    auto out = at::empty({B, T, nh * D}, opts);
    kernels::UngroupHeads(grouped.data_ptr<float>(), B, T, nh, nkv, D, out.data_ptr<float>());
    ctx->save_for_backward({q, k, v, probs, cos, sin});
    ctx->saved_data["first_valid"] = first_valid;
    ctx->saved_data["nh"] = nh;
    ctx->saved_data["nkv"] = nkv;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &probs = saved[3], &cos = saved[4], &sin = saved[5];
    const int64_t nh = ctx->saved_data["nh"].toInt(), nkv = ctx->saved_data["nkv"].toInt();
    const int64_t B = cos.size(0), T = cos.size(1), D = q.size(2), G = nh / nkv, BK = B * nkv;
    auto dout = grads[0].contiguous();
    auto dgrouped = at::empty_like(q);
    kernels::GroupHeads(dout.data_ptr<float>(), B, T, nh, nkv, D, dgrouped.data_ptr<float>());
    auto dscores = at::empty_like(probs);  // dP, then dS in place
    kernels::CausalScores(dgrouped.data_ptr<float>(), v.data_ptr<float>(), BK, G, T, D, dscores.data_ptr<float>());
    kernels::CausalSoftmaxBackward(probs.data_ptr<float>(), dscores.data_ptr<float>(), BK, G, T);
    auto dq = at::empty_like(q), dk = at::empty_like(k), dv = at::empty_like(v);
    kernels::CausalRowsTimes(dscores.data_ptr<float>(), k.data_ptr<float>(), BK, G, T, D, dq.data_ptr<float>());
    kernels::CausalColumnsTimes(dscores.data_ptr<float>(), q.data_ptr<float>(), BK, G, T, D, dk.data_ptr<float>());
    kernels::CausalColumnsTimes(probs.data_ptr<float>(), dgrouped.data_ptr<float>(), BK, G, T, D, dv.data_ptr<float>());
    kernels::PaddedQueryBackward(q.data_ptr<float>(), k.data_ptr<float>(), v.data_ptr<float>(),
                                 dgrouped.data_ptr<float>(), B, nkv, G, T, D,
                                 ctx->saved_data["first_valid"].toIntVector(), dq.data_ptr<float>(),
                                 dk.data_ptr<float>(), dv.data_ptr<float>());
    auto dqkv = at::empty({B, T, (nh + 2 * nkv) * D}, q.options());
    kernels::AttentionScatterGrad(dq.data_ptr<float>(), dk.data_ptr<float>(), dv.data_ptr<float>(), B, T, nh, nkv, D,
                                  cos.data_ptr<float>(), sin.data_ptr<float>(), dqkv.data_ptr<float>());
    return {dqkv, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

bool FusedOpsApply(const at::Tensor& x) { return x.device().is_cpu() && x.scalar_type() == at::kFloat; }

at::Tensor FusedRmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  return RmsNormFn::apply(x, weight, eps);
}

at::Tensor FusedSwiGlu(const at::Tensor& gu) { return SwiGluFn::apply(gu); }

at::Tensor FusedCausalAttention(const at::Tensor& qkv, const at::Tensor& cos, const at::Tensor& sin,
                                const at::Tensor& key_valid, int64_t num_heads, int64_t num_kv_heads) {
  // Autograd's apply() inspects every tensor argument, so "no padding" is an empty tensor here
  // rather than an undefined one.
  at::Tensor valid = key_valid.defined() ? key_valid.to(at::kByte).contiguous()
                                         : at::empty({0}, qkv.options().dtype(at::kByte));
  return CausalAttentionFn::apply(qkv, cos, sin, valid, num_heads, num_kv_heads);
}

}  // namespace trainers
