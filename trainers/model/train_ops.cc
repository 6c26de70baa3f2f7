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

// The ensemble MLP's parameters as EnsembleMlp::Parameters() lists them: per hidden layer l, W_l [E, d, H],
// c_l [E, 1, H], g_l, b_l [E, 1, H]; then the output layer's W [E, H, out], c [E, 1, out]. Work items are
// (member, chunk of kMlpChunkRows rows); the backward sums each item's parameter gradients into its own
// partial and the partials in item order, and the input gradient member by member in order: results do
// not depend on the thread count.
constexpr int64_t kMlpChunkRows = 512;

struct MlpLayout {
  kernels::EnsembleMlpShape shape;
  int64_t members, chunks;
  std::vector<int64_t> offsets;  // of each parameter within one member's floats (same order), then the total

  MlpLayout(const at::Tensor& x, at::TensorList params, int64_t layers) {
    TORCH_CHECK(layers >= 1 && static_cast<int64_t>(params.size()) == 4 * layers + 2 && x.dim() == 2,
                "FusedEnsembleMlp: x [B, in] and 4 tensors per hidden layer plus the output layer's 2");
    const at::Tensor &first = params[0], &last = params[4 * layers];
    members = first.size(0);
    shape = {x.size(0), x.size(1), first.size(2), layers, last.size(2)};
    TORCH_CHECK(first.size(1) == shape.in, "FusedEnsembleMlp: x has ", shape.in, " columns, W_1 ", first.size(1), " rows");
    chunks = std::max<int64_t>(1, (shape.rows + kMlpChunkRows - 1) / kMlpChunkRows);
    TORCH_CHECK(x.scalar_type() == at::kFloat, "FusedEnsembleMlp: x fp32");
    offsets.push_back(0);
    for (size_t i = 0; i < params.size(); ++i) {
      const at::Tensor& t = params[i];
      const int64_t layer = static_cast<int64_t>(i / 4), width = layer == layers ? shape.out : shape.hidden;
      const int64_t rows = i % 4 != 0 ? 1 : layer == 0 ? shape.in : shape.hidden;  // W [E, rows, width], else [E, 1, width]
      TORCH_CHECK(t.scalar_type() == at::kFloat && t.dim() == 3 && t.size(0) == members && t.size(1) == rows &&
                      t.size(2) == width,
                  "FusedEnsembleMlp: parameter ", i, " should be fp32 [", members, ", ", rows, ", ", width, "], got ",
                  t.sizes());
      offsets.push_back(offsets.back() + rows * width);
    }
  }
  int64_t Floats() const { return offsets.back(); }
  int64_t Items() const { return members * chunks; }
  int64_t First(int64_t item) const { return (item % chunks) * kMlpChunkRows; }
  int64_t End(int64_t item) const { return std::min(shape.rows, First(item) + kMlpChunkRows); }

  // Member e's slices of the parameters, given where each parameter's [E, ...] storage starts.
  template <typename Pointers, typename Float>
  Pointers Member(const std::vector<Float*>& bases, int64_t e) const {
    Pointers p;
    for (size_t i = 0; i < bases.size(); ++i) {
      Float* at = bases[i] + e * (offsets[i + 1] - offsets[i]);
      const size_t part = i % 4;  // W, c, g, b per hidden layer; the output layer's W, c last
      (part == 0 ? p.w : part == 1 ? p.c : part == 2 ? p.g : p.b).push_back(at);
    }
    return p;
  }
};

struct EnsembleMlpFn : torch::autograd::Function<EnsembleMlpFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x_in, int64_t layers, double eps,
                            at::TensorList params_in) {
    auto x = x_in.contiguous();
    std::vector<at::Tensor> params;
    for (const auto& t : params_in) params.push_back(t.contiguous());
    const MlpLayout layout(x, params, layers);
    const auto& s = layout.shape;
    auto out = at::empty({layout.members, s.rows, s.out}, x.options());
    at::Tensor xhat, rstd;
    if (ctx != nullptr) {
      xhat = at::empty({layout.members, layers, s.rows, s.hidden}, x.options());
      rstd = at::empty({layout.members, layers, s.rows}, x.options());
    }
    std::vector<const float*> bases;
    for (const auto& t : params) bases.push_back(t.data_ptr<float>());
    const float* xp = x.data_ptr<float>();
    float *outp = out.data_ptr<float>(), *xhatp = ctx ? xhat.data_ptr<float>() : nullptr;
    float* rstdp = ctx ? rstd.data_ptr<float>() : nullptr;
    at::parallel_for(0, layout.Items(), 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t e = k / layout.chunks;
        const auto member = layout.Member<kernels::EnsembleMlpMember>(bases, e);
        kernels::EnsembleMlpForward(s, member, xp, layout.First(k), layout.End(k), static_cast<float>(eps),
                                    outp + e * s.rows * s.out, xhatp ? xhatp + e * layers * s.rows * s.hidden : nullptr,
                                    rstdp ? rstdp + e * layers * s.rows : nullptr);
      }
    });
    if (ctx != nullptr) {
      std::vector<at::Tensor> saved{x, xhat, rstd};
      saved.insert(saved.end(), params.begin(), params.end());
      ctx->save_for_backward(saved);
      ctx->saved_data["layers"] = layers;
    }
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &xhat = saved[1], &rstd = saved[2];
    const std::vector<at::Tensor> params(saved.begin() + 3, saved.end());
    const int64_t layers = ctx->saved_data["layers"].toInt();
    const MlpLayout layout(x, params, layers);
    const auto& s = layout.shape;
    auto dout = grads[0].contiguous();
    const bool want_dx = ctx->needs_input_grad(0);
    auto partial = at::zeros({layout.Items(), layout.Floats()}, x.options());
    auto dx_members = want_dx ? at::empty({layout.members, s.rows, s.in}, x.options()) : at::Tensor();
    std::vector<const float*> bases;
    for (const auto& t : params) bases.push_back(t.data_ptr<float>());
    const float *xp = x.data_ptr<float>(), *xhatp = xhat.data_ptr<float>(), *rstdp = rstd.data_ptr<float>();
    const float* doutp = dout.data_ptr<float>();
    float *partialp = partial.data_ptr<float>(), *dxp = want_dx ? dx_members.data_ptr<float>() : nullptr;
    at::parallel_for(0, layout.Items(), 1, [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        const int64_t e = k / layout.chunks;
        std::vector<float*> part;
        for (size_t i = 0; i < params.size(); ++i) part.push_back(partialp + k * layout.Floats() + layout.offsets[i]);
        kernels::EnsembleMlpBackward(s, layout.Member<kernels::EnsembleMlpMember>(bases, e), xp,
                                     xhatp + e * layers * s.rows * s.hidden, rstdp + e * layers * s.rows,
                                     doutp + e * s.rows * s.out, layout.First(k), layout.End(k),
                                     dxp ? dxp + e * s.rows * s.in : nullptr,
                                     layout.Member<kernels::EnsembleMlpGrads>(part, 0));
      }
    });
    variable_list result{at::Tensor(), at::Tensor(), at::Tensor()};
    if (want_dx) {
      result[0] = dx_members[0].clone();
      for (int64_t e = 1; e < layout.members; ++e) result[0] += dx_members[e];
    }
    // Each parameter's gradient: its member's items in order (items of member e are e·chunks .. +chunks).
    for (size_t i = 0; i < params.size(); ++i) {
      const int64_t n = layout.offsets[i + 1] - layout.offsets[i];
      auto grad = at::zeros_like(params[i]);
      float* gp = grad.data_ptr<float>();
      for (int64_t k = 0; k < layout.Items(); ++k) {
        const float* src = partialp + k * layout.Floats() + layout.offsets[i];
        float* dst = gp + (k / layout.chunks) * n;
        for (int64_t j = 0; j < n; ++j) dst[j] += src[j];
      }
      result.push_back(grad);
    }
    return result;
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

at::Tensor FusedEnsembleMlp(const at::Tensor& x, const std::vector<at::Tensor>& params, int64_t layers, double eps) {
  const bool graph = at::GradMode::is_enabled() &&
                     (x.requires_grad() || std::any_of(params.begin(), params.end(), [](const at::Tensor& t) {
                        return t.requires_grad();
                      }));
  if (graph) return EnsembleMlpFn::apply(x, layers, eps, at::TensorList(params));
  at::NoGradGuard no_grad;
  return EnsembleMlpFn::forward(nullptr, x, layers, eps, params);
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
