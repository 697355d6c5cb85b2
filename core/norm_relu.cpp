#include "core/norm_relu.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Version.h>
#include <torch/csrc/autograd/custom_function.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/norm_relu_exact.h"
#include "core/norm_relu_kernels.h"

namespace dti::core {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

at::Tensor channels_last(const at::Tensor& t) {
  return t.contiguous(at::MemoryFormat::ChannelsLast);
}

at::Tensor from_vector(const std::vector<float>& v) {
  return at::tensor(at::ArrayRef<float>(v), at::kFloat);
}

// What the backward needs of a forward: α, β' (the ReLU's input is y·α + β'), μ, invstd.
struct Affine {
  std::vector<float> a, b, mean, invstd;
  explicit Affine(int64_t C) : a(C), b(C) {}
};

struct Pointers {
  const float *y, *residual, *weight, *bias;
  float* out;
  int64_t M, C;
};

Affine forward_exact(const Pointers& p, double eps, double momentum, const at::Tensor& rm,
                     const at::Tensor& rv) {
  Affine n(p.C);
  auto stats = exact::batch_statistics(p.y, p.M, p.C, eps);
  exact::scale_shift(stats, p.weight, p.bias, n.a.data(), n.b.data());
  exact::normalize_relu(p.y, p.residual, p.M, p.C, n.a.data(), n.b.data(), p.out);
  exact::update_running(stats, p.M, momentum, rm.data_ptr<float>(), rv.data_ptr<float>());
  n.mean = std::move(stats.mean);
  n.invstd = std::move(stats.invstd);
  return n;
}

Affine forward_fused(const Pointers& p, double eps, double momentum, const at::Tensor& rm,
                     const at::Tensor& rv) {
  Affine n(p.C);
  auto stats = fused::batch_statistics(p.y, p.M, p.C, eps);
  for (int64_t c = 0; c < p.C; ++c) {
    n.a[c] = p.weight[c] * stats.invstd[c];
    n.b[c] = p.bias[c] - stats.mean[c] * n.a[c];
  }
  fused::normalize_relu(p.y, p.residual, p.M, p.C, n.a.data(), n.b.data(), p.out);
  // As LibTorch: the running variance takes the unbiased estimate (M / (M − 1)).
  auto m = rm.data_ptr<float>(), v = rv.data_ptr<float>();
  const double unbias = p.M > 1 ? static_cast<double>(p.M) / static_cast<double>(p.M - 1) : 1.0;
  for (int64_t c = 0; c < p.C; ++c) {
    m[c] = static_cast<float>((1 - momentum) * m[c] + momentum * stats.mean[c]);
    v[c] = static_cast<float>((1 - momentum) * v[c] + momentum * stats.var[c] * unbias);
  }
  n.mean = std::move(stats.mean);
  n.invstd = std::move(stats.invstd);
  return n;
}

// The node's arithmetic: exact (norm_relu_exact.h: LibTorch 1.13's, bit for bit) or fused
// (norm_relu_kernels.h: the `encoder_norm: fused` deviation, summed in another order).
struct NormReluFunction : public torch::autograd::Function<NormReluFunction> {
  // residual may be empty (none: LibTorch 1.13's custom functions refuse undefined inputs);
  // running statistics are updated in place (no gradient).
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& y, const at::Tensor& weight,
                            const at::Tensor& bias, const at::Tensor& residual,
                            const at::Tensor& running_mean, const at::Tensor& running_var,
                            double momentum, double eps, bool exact) {
    const int64_t C = y.size(1), M = y.numel() / C;
    auto w = weight.contiguous(), bi = bias.contiguous();
    auto out = at::empty_like(y, at::MemoryFormat::ChannelsLast);
    const bool has_residual = residual.numel() > 0;
    const Pointers p{y.data_ptr<float>(),
                     has_residual ? residual.data_ptr<float>() : nullptr,
                     w.data_ptr<float>(),
                     bi.data_ptr<float>(),
                     out.data_ptr<float>(),
                     M,
                     C};
    const Affine n = exact ? forward_exact(p, eps, momentum, running_mean, running_var)
                           : forward_fused(p, eps, momentum, running_mean, running_var);
    ctx->save_for_backward({y, w, out});
    ctx->saved_data["a"] = from_vector(n.a);
    ctx->saved_data["b"] = from_vector(n.b);
    ctx->saved_data["mean"] = from_vector(n.mean);
    ctx->saved_data["invstd"] = from_vector(n.invstd);
    ctx->saved_data["residual"] = has_residual;
    ctx->saved_data["exact"] = exact;
    ctx->saved_data["eps"] = eps;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& y = saved[0];
    const auto& w = saved[1];
    const auto& out = saved[2];
    const bool residual = ctx->saved_data["residual"].toBool();
    const bool exact = ctx->saved_data["exact"].toBool();
    const int64_t C = y.size(1), M = y.numel() / C;
    auto mean = ctx->saved_data["mean"].toTensor(), invstd = ctx->saved_data["invstd"].toTensor();
    if (exact && !grads[0].is_contiguous(at::MemoryFormat::ChannelsLast)) {
      // LibTorch's BatchNorm backward takes another path (and rounding) for a gradient in
      // another layout than its input (as after the final pooling): run its operators.
      auto dz = at::threshold_backward(grads[0], out, 0);
      auto [dx, dw, db] =
          at::native_batch_norm_backward(dz, y, w, {}, {}, mean, invstd, /*train=*/true,
                                         ctx->saved_data["eps"].toDouble(), {true, true, true});
      return {dx,           dw,           db,           residual ? dz : at::Tensor(),
              at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor(),
              at::Tensor()};
    }
    auto g = channels_last(grads[0]);
    auto a = ctx->saved_data["a"].toTensor(), b = ctx->saved_data["b"].toTensor();
    auto dx = at::empty_like(y, at::MemoryFormat::ChannelsLast);
    auto dz = residual ? at::empty_like(y, at::MemoryFormat::ChannelsLast) : at::Tensor();
    auto grad_weight = at::empty({C}, w.options()), grad_bias = at::empty({C}, w.options());
    fused::BackwardArgs p;
    p.g = g.data_ptr<float>();
    p.y = y.data_ptr<float>();
    // With a residual the ReLU's input is not y·a + b alone: its condition comes from the output.
    p.out = residual ? out.data_ptr<float>() : nullptr;
    p.a = a.data_ptr<float>();
    p.b = b.data_ptr<float>();
    p.mean = mean.data_ptr<float>();
    p.invstd = invstd.data_ptr<float>();
    p.weight = w.data_ptr<float>();
    p.M = M;
    p.C = C;
    p.dz = residual ? dz.data_ptr<float>() : nullptr;
    p.dx = dx.data_ptr<float>();
    p.grad_weight = grad_weight.data_ptr<float>();
    p.grad_bias = grad_bias.data_ptr<float>();
    exact ? exact::backward(p) : fused::backward(p);
    return {dx,           grad_weight,  grad_bias,    dz,          at::Tensor(),
            at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

bool fused_norm_relu_applies(const at::Tensor& y) {
  return y.defined() && y.is_cpu() && y.scalar_type() == at::kFloat && y.dim() == 4 &&
         y.numel() > 0 && y.size(1) <= fused::kMaxChannels &&
         y.is_contiguous(at::MemoryFormat::ChannelsLast);
}

at::Tensor operators_norm_relu(const at::Tensor& y, const at::Tensor& residual,
                               const NormParameters& n) {
  auto out = at::batch_norm(y, n.weight, n.bias, n.running_mean, n.running_var, /*training=*/true,
                            n.momentum, n.eps, /*cudnn_enabled=*/true);
  if (residual.defined()) out.add_(residual);
  return out.relu_();
}

namespace {

at::Tensor node(const at::Tensor& y, const at::Tensor& residual, const NormParameters& n,
                bool exact) {
  auto res = residual.defined() ? channels_last(residual) : at::empty({0}, y.options());
  return NormReluFunction::apply(y, n.weight, n.bias, res, n.running_mean, n.running_var,
                                 n.momentum, n.eps, exact);
}

bool same_bits(const at::Tensor& a, const at::Tensor& b) {
  if (!a.defined() || !b.defined() || a.sizes() != b.sizes()) return false;
  const auto format = a.dim() == 4 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  auto x = a.contiguous(format), z = b.contiguous(format);
  return std::memcmp(x.data_ptr(), z.data_ptr(), x.nbytes()) == 0;
}

// The exact node against LibTorch's operators, forward and backward, on shapes of each kind
// (C 16 and 64, with and without a residual, a gradient in either layout), at the present thread
// count: every output, running statistic and gradient equal bit for bit.
bool exact_matches_operators() {
  if (!exact::kernels_apply(16)) return false;
  at::AutoGradMode grad(true);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(20261207);
  const auto cl = at::MemoryFormat::ChannelsLast;
  const int64_t shapes[][4] = {{6, 16, 11, 13}, {3, 64, 5, 7}, {7, 16, 9, 9}};
  for (int k = 0; k < 3; ++k) {
    const auto* s = shapes[k];
    auto y0 = (at::randn({s[0], s[1], s[2], s[3]}, gen) * 2 + 0.5).contiguous(cl);
    auto r0 = k > 0 ? at::randn(y0.sizes(), gen).contiguous(cl) : at::Tensor();
    auto g = at::randn(y0.sizes(), gen);
    if (k != 2) g = g.contiguous(cl);
    auto w0 = at::rand({s[1]}, gen) + 0.5, b0 = at::randn({s[1]}, gen) * 0.1;
    auto m0 = at::randn({s[1]}, gen), v0 = at::rand({s[1]}, gen) + 0.5;
    std::vector<at::Tensor> results[2];
    for (int exact = 0; exact < 2; ++exact) {
      auto y = y0.clone().requires_grad_(true);
      auto r = r0.defined() ? r0.clone().requires_grad_(true) : at::Tensor();
      NormParameters n{w0.clone().requires_grad_(true), b0.clone().requires_grad_(true), m0.clone(),
                       v0.clone()};
      auto out = exact ? node(y, r, n, true) : operators_norm_relu(y, r, n);
      out.backward(g);
      results[exact] = {out,
                        y.grad(),
                        n.weight.grad(),
                        n.bias.grad(),
                        n.running_mean,
                        n.running_var,
                        r.defined() ? r.grad() : out};
    }
    for (size_t i = 0; i < results[0].size(); ++i)
      if (!same_bits(results[0][i], results[1][i])) return false;
  }
  return true;
}

// DTI_EXACT_NORM=0 (or set_exact_norm_relu(false)) keeps LibTorch's operators, to compare the
// two (dti_bench, dti_step_hash).
std::atomic<bool>& exact_allowed() {
  static std::atomic<bool> allowed{[] {
    const char* env = std::getenv("DTI_EXACT_NORM");
    return !(env && std::string(env) == "0");
  }()};
  return allowed;
}

// The node's roundings are those of LibTorch 1.13's AVX2 kernels and, shown equal on a Zen 4
// (tests/core/norm_relu_test.cpp), of its AVX-512 ones: per-channel sums do not depend on the
// vector width, and both builds fuse the same multiply-adds (-mfma), channel tails included.
// Under any other kernels ("DEFAULT", a build without AVX-512) the three shapes of the check
// cannot vouch for every channel count, so the operators run.
bool exact_node_kernels() {
  const std::string capability = libtorch_cpu_capability();
  return capability == "AVX2" || capability == "AVX512";
}

bool exact_enabled() {
  static const bool matches = exact_node_kernels() && exact_matches_operators();
  return exact_allowed().load(std::memory_order_relaxed) && matches;
}

}  // namespace

bool exact_norm_relu_active() { return exact_enabled(); }

std::string libtorch_cpu_capability() {
  // LibTorch 1.13 exports no getter for it; its summary has a line "CPU capability usage: AVX2"
  // (so has 2.x's).
  static const std::string capability = [] {
    const std::string config = at::show_config(), key = "CPU capability usage: ";
    const auto start = config.find(key);
    if (start == std::string::npos) return std::string("unknown");
    const auto end = config.find('\n', start);
    return config.substr(start + key.size(),
                         end == std::string::npos ? end : end - start - key.size());
  }();
  return capability;
}

void set_exact_norm_relu(bool allowed) { exact_allowed().store(allowed); }

at::Tensor exact_norm_relu(const at::Tensor& y, const at::Tensor& residual,
                           const NormParameters& n) {
  if (!fused_norm_relu_applies(y) || !exact::kernels_apply(y.size(1)))
    return operators_norm_relu(y, residual, n);
  return node(y, residual, n, true);
}

at::Tensor norm_relu(const at::Tensor& y, const at::Tensor& residual, const NormParameters& n,
                     bool fused) {
  bool applies = fused_norm_relu_applies(y) &&
                 (!residual.defined() ||
                  (residual.scalar_type() == at::kFloat && residual.sizes() == y.sizes()));
  // Every parameter and statistic a float32 vector of C (the kernels take raw pointers); anything
  // else goes to LibTorch, which says what is wrong.
  for (const at::Tensor* t : {&n.weight, &n.bias, &n.running_mean, &n.running_var})
    applies = applies && t->defined() && t->scalar_type() == at::kFloat && t->is_contiguous() &&
              t->dim() == 1 && t->numel() == y.size(1);
  if (applies && fused) return node(y, residual, n, false);
  if (applies && exact::kernels_apply(y.size(1)) && exact_enabled())
    return node(y, residual, n, true);
  return operators_norm_relu(y, residual, n);
}

}  // namespace dti::core
