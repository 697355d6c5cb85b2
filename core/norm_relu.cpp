#include "core/norm_relu.h"

#include <torch/csrc/autograd/custom_function.h>

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

struct NormReluFunction : public torch::autograd::Function<NormReluFunction> {
  // residual may be empty (none: LibTorch 1.13's custom functions refuse undefined inputs);
  // running statistics are updated in place (no gradient).
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& y, const at::Tensor& weight,
                            const at::Tensor& bias, const at::Tensor& residual,
                            const at::Tensor& running_mean, const at::Tensor& running_var,
                            double momentum, double eps) {
    const int64_t C = y.size(1), M = y.numel() / C;
    auto stats = fused::batch_statistics(y.data_ptr<float>(), M, C, eps);
    auto w = weight.contiguous(), bi = bias.contiguous();
    std::vector<float> a(C), b(C);
    for (int64_t c = 0; c < C; ++c) {
      a[c] = w.data_ptr<float>()[c] * stats.invstd[c];
      b[c] = bi.data_ptr<float>()[c] - stats.mean[c] * a[c];
    }
    auto out = at::empty_like(y, at::MemoryFormat::ChannelsLast);
    const bool has_residual = residual.numel() > 0;
    fused::normalize_relu(y.data_ptr<float>(), has_residual ? residual.data_ptr<float>() : nullptr,
                          M, C, a.data(), b.data(), out.data_ptr<float>());
    update_running(stats, M, momentum, running_mean, running_var);
    ctx->save_for_backward({y, w, out});
    ctx->saved_data["a"] = from_vector(a);
    ctx->saved_data["b"] = from_vector(b);
    ctx->saved_data["mean"] = from_vector(stats.mean);
    ctx->saved_data["invstd"] = from_vector(stats.invstd);
    ctx->saved_data["residual"] = has_residual;
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const auto& y = saved[0];
    const auto& w = saved[1];
    const auto& out = saved[2];
    const bool residual = ctx->saved_data["residual"].toBool();
    const int64_t C = y.size(1), M = y.numel() / C;
    auto g = channels_last(grads[0]);
    auto a = ctx->saved_data["a"].toTensor(), b = ctx->saved_data["b"].toTensor();
    auto mean = ctx->saved_data["mean"].toTensor(), invstd = ctx->saved_data["invstd"].toTensor();
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
    fused::backward(p);
    return {dx, grad_weight, grad_bias, dz, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }

  static void update_running(const fused::Statistics& s, int64_t M, double momentum,
                             const at::Tensor& running_mean, const at::Tensor& running_var) {
    // As LibTorch: the running variance takes the unbiased estimate (M / (M − 1)).
    const int64_t C = static_cast<int64_t>(s.mean.size());
    auto rm = running_mean.data_ptr<float>(), rv = running_var.data_ptr<float>();
    const double unbias = M > 1 ? static_cast<double>(M) / static_cast<double>(M - 1) : 1.0;
    for (int64_t c = 0; c < C; ++c) {
      rm[c] = static_cast<float>((1 - momentum) * rm[c] + momentum * s.mean[c]);
      rv[c] = static_cast<float>((1 - momentum) * rv[c] + momentum * s.var[c] * unbias);
    }
  }
};

}  // namespace

bool fused_norm_relu_applies(const at::Tensor& y) {
  return y.defined() && y.is_cpu() && y.scalar_type() == at::kFloat && y.dim() == 4 &&
         y.numel() > 0 && y.size(1) <= fused::kMaxChannels &&
         y.is_contiguous(at::MemoryFormat::ChannelsLast);
}

at::Tensor norm_relu(const at::Tensor& y, const at::Tensor& residual, const NormParameters& n,
                     bool fused) {
  const bool stats_fit = n.running_mean.defined() && n.running_mean.is_contiguous() &&
                         n.running_var.is_contiguous() &&
                         n.running_mean.scalar_type() == at::kFloat;
  if (fused && fused_norm_relu_applies(y) && stats_fit &&
      (!residual.defined() || residual.scalar_type() == at::kFloat)) {
    auto res = residual.defined() ? channels_last(residual) : at::empty({0}, y.options());
    return NormReluFunction::apply(y, n.weight, n.bias, res, n.running_mean, n.running_var,
                                   n.momentum, n.eps);
  }
  auto out = at::batch_norm(y, n.weight, n.bias, n.running_mean, n.running_var, /*training=*/true,
                            n.momentum, n.eps, /*cudnn_enabled=*/true);
  if (residual.defined()) out.add_(residual);
  return out.relu_();
}

}  // namespace dti::core
