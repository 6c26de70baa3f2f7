// Autograd nodes around the loops of train_kernels.cc. Each node splits its loops over the intra-op
// threads (at::parallel_for) along a dimension whose parts are independent: rows for RMSNorm and
// SwiGLU, sequences of the batch for attention. Without that, at 2 threads only the GEMMs ran on
// both cores. Every split leaves each output element's arithmetic unchanged, except RMSNorm's weight
// gradient, whose row sums go through fixed-size partials: results do not depend on the thread count.
#include "trainers/model/train_ops.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/autograd.h>

#include "trainers/model/train_kernels.h"

namespace trainers {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Rows per parallel chunk for the row-wise ops: a few hundred KB of activations, enough to dwarf
// the cost of waking a thread. RMSNorm's weight-gradient partials use the same fixed size.
constexpr int64_t kRowsPerChunk = 64;

// Where sequence b starts in each of the attention's batch-major buffers (floats), so that a range
// of sequences can be handed to the kernels as a smaller batch.
struct BatchOffsets {
  int64_t T, nh, nkv, D;
  int64_t Qkv(int64_t b) const { return b * T * (nh + 2 * nkv) * D; }  // qkv, dqkv [B, T, (nh+2nkv) D]
  int64_t Rotary(int64_t b) const { return b * T * D; }                // cos, sin [B, T, D]
  int64_t Flat(int64_t b) const { return b * T * nh * D; }             // out, dout [B, T, nh D]
  int64_t Grouped(int64_t b) const { return b * nkv * T * (nh / nkv) * D; }  // q [B*nkv, T*G, D]
  int64_t KeyValue(int64_t b) const { return b * nkv * T * D; }        // k, v [B*nkv, T, D]
  int64_t Scores(int64_t b) const { return b * nkv * T * (nh / nkv) * T; }  // [B*nkv, T*G, T]
};

std::vector<int64_t> Slice(const std::vector<int64_t>& v, int64_t begin, int64_t end) {
  return std::vector<int64_t>(v.begin() + begin, v.begin() + end);
}

struct RmsNormFn : torch::autograd::Function<RmsNormFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& weight, double eps) {
    auto x = x_in.contiguous();
    auto w = weight.contiguous();
    const int64_t n = x.size(-1), rows = x.numel() / n;
    auto y = at::empty_like(x);
    auto inv = at::empty({rows}, x.options());
    const float *xp = x.data_ptr<float>(), *wp = w.data_ptr<float>();
    float *yp = y.data_ptr<float>(), *invp = inv.data_ptr<float>();
    at::parallel_for(0, rows, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
      kernels::RmsNormForward(xp + r0 * n, wp, r1 - r0, n, static_cast<float>(eps), yp + r0 * n, invp + r0);
    });
    ctx->save_for_backward({x, w, inv});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &w = saved[1], &inv = saved[2];
    auto dy = grads[0].contiguous();
    const int64_t n = x.size(-1), rows = x.numel() / n;
    auto dx = at::empty_like(x);
    // dw sums over every row: each chunk of kRowsPerChunk rows sums into its own partial, and the
    // partials are added in chunk order, so the result is the same for any thread count.
    const int64_t chunks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
    auto partial = at::zeros({std::max<int64_t>(chunks, 1), n}, w.options());
    const float *dyp = dy.data_ptr<float>(), *xp = x.data_ptr<float>(), *wp = w.data_ptr<float>();
    const float* invp = inv.data_ptr<float>();
    float *dxp = dx.data_ptr<float>(), *partialp = partial.data_ptr<float>();
    at::parallel_for(0, chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t r0 = c * kRowsPerChunk, r1 = std::min(rows, r0 + kRowsPerChunk);
        kernels::RmsNormBackward(dyp + r0 * n, xp + r0 * n, wp, invp + r0, r1 - r0, n, dxp + r0 * n,
                                 partialp + c * n);
      }
    });
    auto dw = at::zeros_like(w);
    float* dwp = dw.data_ptr<float>();
    for (int64_t c = 0; c < chunks; ++c) {
      for (int64_t i = 0; i < n; ++i) dwp[i] += partialp[c * n + i];
    }
    return {dx, dw, at::Tensor()};
  }
};

// Chunks of at most kRowsPerChunk rows that never cross members: chunk k is member k / per_member's
// rows [(k % per_member) kRowsPerChunk, ...). Gain and bias gradients sum each chunk into its own
// partial and the partials in chunk order: the same for any thread count. x may be any [E, R, H] view
// whose rows are contiguous (stride(2) == 1), such as [R, E, H] memory seen through permute: a linear
// layer of a shared input computed as one product for all members gives that layout without a copy;
// dx has x's strides, y is contiguous.
struct LayerNormReluFn : torch::autograd::Function<LayerNormReluFn> {
  struct Shape {
    int64_t members, rows, n, per_member, member_stride, row_stride;  // the last two: of x, in floats
    int64_t Chunks() const { return members * per_member; }
    int64_t Member(int64_t k) const { return k / per_member; }
    int64_t First(int64_t k) const { return (k % per_member) * kRowsPerChunk; }
    int64_t End(int64_t k) const { return std::min(rows, First(k) + kRowsPerChunk); }
    int64_t Row(int64_t k) const { return Member(k) * rows + First(k); }  // the chunk's first row of y
    int64_t XOffset(int64_t k) const { return Member(k) * member_stride + First(k) * row_stride; }
  };

  static Shape ShapeOf(const at::Tensor& x) {
    const int64_t rows = x.size(1);
    return {x.size(0),          rows,        x.size(2), std::max<int64_t>(1, (rows + kRowsPerChunk - 1) / kRowsPerChunk),
            x.stride(0), x.stride(1)};
  }

  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& linear_bias,
                            const at::Tensor& gain, const at::Tensor& bias, double eps) {
    TORCH_CHECK(x_in.dim() == 3 && gain.numel() == x_in.size(0) * x_in.size(2) && bias.numel() == gain.numel() &&
                    linear_bias.numel() == gain.numel(),
                "FusedLayerNormRelu: x [E, R, H] with linear_bias, gain and bias [E, 1, H]");
    auto x = x_in.stride(2) == 1 ? x_in : x_in.contiguous();
    auto c = linear_bias.contiguous(), g = gain.contiguous(), b = bias.contiguous();
    const Shape s = ShapeOf(x);
    auto y = at::empty({s.members, s.rows, s.n}, x.options());
    auto mean = at::empty({s.members * s.rows}, x.options()), rstd = at::empty_like(mean);
    const float *xp = x.data_ptr<float>(), *cp = c.data_ptr<float>(), *gp = g.data_ptr<float>();
    const float* bp = b.data_ptr<float>();
    float *yp = y.data_ptr<float>(), *meanp = mean.data_ptr<float>(), *rstdp = rstd.data_ptr<float>();
    at::parallel_for(0, s.Chunks(), 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t row = s.Row(k), e = s.Member(k) * s.n;
        kernels::LayerNormReluForward(xp + s.XOffset(k), s.row_stride, cp + e, gp + e, bp + e, s.End(k) - s.First(k),
                                      s.n, static_cast<float>(eps), yp + row * s.n, meanp + row, rstdp + row);
      }
    });
    ctx->save_for_backward({x, c, g, b, mean, rstd});
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &x = saved[0], &c = saved[1], &g = saved[2], &b = saved[3], &mean = saved[4], &rstd = saved[5];
    auto dy = grads[0].contiguous();
    const Shape s = ShapeOf(x);
    auto dx = at::empty_strided(x.sizes(), x.strides(), x.options());
    auto partial = at::zeros({s.Chunks(), 3, s.n}, x.options());  // [chunk][dc | dg | db]
    const float *dyp = dy.data_ptr<float>(), *xp = x.data_ptr<float>(), *cp = c.data_ptr<float>();
    const float *gp = g.data_ptr<float>(), *bp = b.data_ptr<float>();
    const float *meanp = mean.data_ptr<float>(), *rstdp = rstd.data_ptr<float>();
    float *dxp = dx.data_ptr<float>(), *partialp = partial.data_ptr<float>();
    at::parallel_for(0, s.Chunks(), 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t row = s.Row(k), e = s.Member(k) * s.n;
        float* part = partialp + k * 3 * s.n;
        kernels::LayerNormReluBackward(dyp + row * s.n, xp + s.XOffset(k), s.row_stride, cp + e, gp + e, bp + e,
                                       meanp + row, rstdp + row, s.End(k) - s.First(k), s.n, dxp + s.XOffset(k),
                                       part, part + s.n, part + 2 * s.n);
      }
    });
    // Each member's sums, chunk by chunk in order.
    std::vector<at::Tensor> sums;
    for (const at::Tensor* like : {&c, &g, &b}) sums.push_back(at::zeros_like(*like));
    for (int64_t k = 0; k < s.Chunks(); ++k) {
      const float* part = partialp + k * 3 * s.n;
      for (int64_t j = 0; j < 3; ++j) {
        float* sum = sums[static_cast<size_t>(j)].data_ptr<float>() + s.Member(k) * s.n;
        for (int64_t i = 0; i < s.n; ++i) sum[i] += part[j * s.n + i];
      }
    }
    return {dx, sums[0], sums[1], sums[2], at::Tensor()};
  }
};

struct SwiGluFn : torch::autograd::Function<SwiGluFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& gu_in) {
    auto gu = gu_in.contiguous();
    const int64_t inter = gu.size(-1) / 2, rows = gu.numel() / gu.size(-1);
    auto sizes = gu.sizes().vec();
    sizes.back() = inter;
    auto out = at::empty(sizes, gu.options());
    const float* gup = gu.data_ptr<float>();
    float* outp = out.data_ptr<float>();
    at::parallel_for(0, rows, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
      kernels::SwiGluForward(gup + r0 * 2 * inter, r1 - r0, inter, outp + r0 * inter);
    });
    ctx->save_for_backward({gu});
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto gu = ctx->get_saved_variables()[0];
    auto dout = grads[0].contiguous();
    const int64_t inter = gu.size(-1) / 2, rows = gu.numel() / gu.size(-1);
    auto dgu = at::empty_like(gu);
    const float *doutp = dout.data_ptr<float>(), *gup = gu.data_ptr<float>();
    float* dgup = dgu.data_ptr<float>();
    at::parallel_for(0, rows, kRowsPerChunk, [&](int64_t r0, int64_t r1) {
      kernels::SwiGluBackward(doutp + r0 * inter, gup + r0 * 2 * inter, r1 - r0, inter, dgup + r0 * 2 * inter);
    });
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
    auto probs = at::empty({BK, T * G, T}, opts);
    auto grouped = at::empty_like(q);
    auto out = at::empty({B, T, nh * D}, opts);
    const uint8_t* valid = key_valid.numel() > 0 ? key_valid.data_ptr<uint8_t>() : nullptr;
    const std::vector<int64_t> first_valid = kernels::FirstValidKey(valid, B, T);
    const BatchOffsets at_b{T, nh, nkv, D};
    const float *qkvp = qkv.data_ptr<float>(), *cosp = cos.data_ptr<float>(), *sinp = sin.data_ptr<float>();
    float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>();
    float *probsp = probs.data_ptr<float>(), *groupedp = grouped.data_ptr<float>(), *outp = out.data_ptr<float>();
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      const int64_t nb = b1 - b0, bk = nb * nkv;
      const int64_t qo = at_b.Grouped(b0), ko = at_b.KeyValue(b0), po = at_b.Scores(b0);
      kernels::AttentionGather(qkvp + at_b.Qkv(b0), nb, T, nh, nkv, D, cosp + at_b.Rotary(b0),
                               sinp + at_b.Rotary(b0), qp + qo, kp + ko, vp + ko);
      kernels::CausalScores(qp + qo, kp + ko, bk, G, T, D, probsp + po);
      kernels::CausalSoftmax(probsp + po, nb, nkv, G, T, valid != nullptr ? valid + b0 * T : nullptr);
      kernels::CausalRowsTimes(probsp + po, vp + ko, bk, G, T, D, groupedp + qo);
      kernels::PaddedQueryForward(vp + ko, nb, nkv, G, T, D, Slice(first_valid, b0, b1), groupedp + qo);
      kernels::UngroupHeads(groupedp + qo, nb, T, nh, nkv, D, outp + at_b.Flat(b0));
    });
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
    const int64_t B = cos.size(0), T = cos.size(1), D = q.size(2), G = nh / nkv;
    auto dout = grads[0].contiguous();
    auto dgrouped = at::empty_like(q);
    auto dscores = at::empty_like(probs);  // dP, then dS in place
    auto dq = at::empty_like(q), dk = at::empty_like(k), dv = at::empty_like(v);
    auto dqkv = at::empty({B, T, (nh + 2 * nkv) * D}, q.options());
    const std::vector<int64_t> first_valid = ctx->saved_data["first_valid"].toIntVector();
    const BatchOffsets at_b{T, nh, nkv, D};
    const float *qp = q.data_ptr<float>(), *kp = k.data_ptr<float>(), *vp = v.data_ptr<float>();
    const float *probsp = probs.data_ptr<float>(), *cosp = cos.data_ptr<float>(), *sinp = sin.data_ptr<float>();
    const float* doutp = dout.data_ptr<float>();
    float *dgroupedp = dgrouped.data_ptr<float>(), *dscoresp = dscores.data_ptr<float>();
    float *dqp = dq.data_ptr<float>(), *dkp = dk.data_ptr<float>(), *dvp = dv.data_ptr<float>();
    float* dqkvp = dqkv.data_ptr<float>();
    at::parallel_for(0, B, 1, [&](int64_t b0, int64_t b1) {
      const int64_t nb = b1 - b0, bk = nb * nkv;
      const int64_t qo = at_b.Grouped(b0), ko = at_b.KeyValue(b0), po = at_b.Scores(b0);
      kernels::GroupHeads(doutp + at_b.Flat(b0), nb, T, nh, nkv, D, dgroupedp + qo);
      kernels::CausalScores(dgroupedp + qo, vp + ko, bk, G, T, D, dscoresp + po);
      kernels::CausalSoftmaxBackward(probsp + po, dscoresp + po, bk, G, T);
      kernels::CausalRowsTimes(dscoresp + po, kp + ko, bk, G, T, D, dqp + qo);
      kernels::CausalColumnsTimes(dscoresp + po, qp + qo, bk, G, T, D, dkp + ko);
      kernels::CausalColumnsTimes(probsp + po, dgroupedp + qo, bk, G, T, D, dvp + ko);
      kernels::PaddedQueryBackward(qp + qo, kp + ko, vp + ko, dgroupedp + qo, nb, nkv, G, T, D,
                                   Slice(first_valid, b0, b1), dqp + qo, dkp + ko, dvp + ko);
      kernels::AttentionScatterGrad(dqp + qo, dkp + ko, dvp + ko, nb, T, nh, nkv, D, cosp + at_b.Rotary(b0),
                                    sinp + at_b.Rotary(b0), dqkvp + at_b.Qkv(b0));
    });
    return {dqkv, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// oneDNN's C API sgemm (dnnl.h; every matrix row-major): C = alpha op(A) op(B) + beta C, 0 on success.
using DnnlSgemm = int (*)(char transa, char transb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                          int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

DnnlSgemm FindDnnlSgemm() {
  const char* choice = std::getenv("HARNESS_LINEAR");
  if (choice != nullptr && std::strcmp(choice, "blas") == 0) return nullptr;
  return reinterpret_cast<DnnlSgemm>(dlsym(RTLD_DEFAULT, "dnnl_sgemm"));
}

DnnlSgemm Sgemm() {
  static const DnnlSgemm sgemm = FindDnnlSgemm();
  return sgemm;
}

// c [m, n] = op(a) op(b), row-major, contiguous; op transposes when t* is set (a stored [k, m], b [n, k]).
void Gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const at::Tensor& a, const at::Tensor& b, at::Tensor& c) {
  const int status = Sgemm()(ta ? 'T' : 'N', tb ? 'T' : 'N', m, n, k, 1.0f, a.data_ptr<float>(), ta ? m : k,
                             b.data_ptr<float>(), tb ? k : n, 0.0f, c.data_ptr<float>(), n);
  TORCH_CHECK(status == 0, "dnnl_sgemm failed with status ", status, " (m=", m, " n=", n, " k=", k, ")");
}

struct LinearFn : torch::autograd::Function<LinearFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, const at::Tensor& weight_in,
                            const at::Tensor& bias) {
    const at::Tensor x = x_in.contiguous(), w = weight_in.contiguous();
    const int64_t in = w.size(1), out = w.size(0), rows = x.numel() / in;
    std::vector<int64_t> shape = x.sizes().vec();
    shape.back() = out;
    at::Tensor y = at::empty(shape, x.options());
    if (rows > 0) Gemm(false, true, rows, out, in, x, w, y);  // y = x W^T
    if (bias.numel() > 0) y.add_(bias);
    ctx->save_for_backward({x, w});
    ctx->saved_data["bias"] = bias.numel() > 0;
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &w = saved[1];
    const at::Tensor dy = grads[0].contiguous();
    const int64_t in = w.size(1), out = w.size(0), rows = x.numel() / in;
    at::Tensor dx, dw, db;
    if (ctx->needs_input_grad(0)) {
      dx = at::empty_like(x);
      if (rows > 0) Gemm(false, false, rows, in, out, dy, w, dx);  // dx = dy W
      else dx.zero_();
    }
    if (ctx->needs_input_grad(1)) {
      dw = at::empty_like(w);
      if (rows > 0) Gemm(true, false, out, in, rows, dy, x, dw);  // dW = dy^T x
      else dw.zero_();
    }
    if (ctx->saved_data["bias"].toBool() && ctx->needs_input_grad(2)) db = dy.reshape({rows, out}).sum(0);
    return {dx, dw, db};
  }
};

}  // namespace

bool FusedOpsApply(const at::Tensor& x) { return x.device().is_cpu() && x.scalar_type() == at::kFloat; }

at::Tensor FusedRmsNorm(const at::Tensor& x, const at::Tensor& weight, double eps) {
  return RmsNormFn::apply(x, weight, eps);
}

at::Tensor FusedLayerNormRelu(const at::Tensor& x, const at::Tensor& linear_bias, const at::Tensor& gain,
                              const at::Tensor& bias, double eps) {
  return LayerNormReluFn::apply(x, linear_bias, gain, bias, eps);
}

at::Tensor FusedLinear(const at::Tensor& x, const at::Tensor& weight, const at::Tensor& bias) {
  if (Sgemm() == nullptr || !FusedOpsApply(x) || !FusedOpsApply(weight)) return at::linear(x, weight, bias);
  // As in FusedCausalAttention: "no bias" is an empty tensor, since apply() inspects every tensor argument.
  return LinearFn::apply(x, weight, bias.defined() ? bias : at::empty({0}, weight.options()));
}

const char* FusedLinearBackend() { return Sgemm() != nullptr ? "dnnl" : "blas"; }

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
