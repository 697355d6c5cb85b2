#include "core/predictor.h"

#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <functional>

#include "base/error.h"
#include "core/precision.h"
#include "core/shapes.h"

namespace dti::core {
namespace {

// nn.Linear's default: kaiming_uniform(a=√5) for the weight, i.e. U(±1/√fan_in), and the same
// bound for the bias.
at::Tensor linear_init(at::IntArrayRef shape, int64_t fan_in, at::Generator& gen) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(fan_in));
  return at::empty(shape, at::kFloat).uniform_(-bound, bound, gen);
}

// fn(g) for every g < G, spread over LibTorch's threads (grad mode is per thread: off in each).
void each_group(int64_t G, const std::function<void(int64_t)>& fn) {
  at::parallel_for(0, G, 1, [&](int64_t begin, int64_t end) {
    c10::NoGradGuard no_grad;
    for (int64_t g = begin; g < end; ++g) fn(g);
  });
}

// bmm(a, b): per group the call LibTorch's CPU bmm makes (mm into the group's slice).
at::Tensor grouped_bmm(const at::Tensor& a, const at::Tensor& b) {
  auto out = at::empty({a.size(0), a.size(1), b.size(2)}, a.options());
  each_group(a.size(0), [&](int64_t g) {
    auto slice = out.select(0, g);
    at::mm_out(slice, a.select(0, g), b.select(0, g));
  });
  return out;
}

// baddbmm(self, b1, b2) with β = α = 1. Without MKL, LibTorch's CPU baddbmm and bmm run their
// G products one after another, each one OpenBLAS call on one thread; here the same calls on
// the same slices are spread over the threads, forward and backward (BaddbmmBackward0's two
// bmm; self's gradient is the output's, summed to self's shape by the engine): the same bits.
struct GroupedBaddbmm : public torch::autograd::Function<GroupedBaddbmm> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& self,
                            const at::Tensor& b1, const at::Tensor& b2) {
    ctx->save_for_backward({b1, b2});
    auto out = at::empty({b1.size(0), b1.size(1), b2.size(2)}, b1.options());
    out.copy_(self.expand_as(out));
    each_group(b1.size(0),
               [&](int64_t g) { out.select(0, g).addmm_(b1.select(0, g), b2.select(0, g)); });
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& grad = grads[0];
    return {ctx->needs_input_grad(0) ? grad : at::Tensor(),
            ctx->needs_input_grad(1) ? grouped_bmm(grad, saved[1].transpose(1, 2)) : at::Tensor(),
            ctx->needs_input_grad(2) ? grouped_bmm(saved[0].transpose(1, 2), grad) : at::Tensor()};
  }
};

// LibTorch's own baddbmm where its CPU path is not the one GroupedBaddbmm repeats: another
// device or type, autocast (bfloat16), an MKL build (batched GEMM), or products so small that
// LibTorch uses its own loops (fewer than 400 multiply-adds).
at::Tensor add_grouped_products(const at::Tensor& self, const at::Tensor& b1,
                                const at::Tensor& b2) {
  const bool same_path = b1.is_cpu() && b1.scalar_type() == at::kFloat &&
                         b2.scalar_type() == at::kFloat && self.scalar_type() == at::kFloat &&
                         !at::hasMKL() && !autocast_active(at::kCPU) &&
                         b1.size(1) * b1.size(2) * b2.size(2) >= 400;
  return same_path ? GroupedBaddbmm::apply(self, b1, b2) : at::baddbmm(self, b1, b2);
}

}  // namespace

PredictorBank::PredictorBank(int64_t count, int64_t in_features, int64_t out_features,
                             at::Generator generator)
    : count_(count), in_features_(in_features), out_features_(out_features) {
  DTI_CHECK(count > 0 && in_features > 0 && out_features > 0,
            "PredictorBank: expected count, in_features and out_features > 0, got ", count, ", ",
            in_features, ", ", out_features);
  const int64_t G = count, D = in_features, H = kPredictorHidden, P = out_features;
  // Drawn per MLP in the reference's order (w1, b1, w2, b2) so each instance is an nn.Linear
  // stack; stored stacked for batched evaluation.
  std::vector<at::Tensor> w1, b1, w2, b2;
  for (int64_t g = 0; g < G; ++g) {
    w1.push_back(linear_init({H, D}, D, generator).t());  // [D,H]
    b1.push_back(linear_init({H}, D, generator));
    w2.push_back(linear_init({H, H}, H, generator).t());  // [H(in),H(out)]
    b2.push_back(linear_init({H}, H, generator));
  }
  w1_ = make_parameter(at::stack(w1, 1));  // [D,G,H]
  b1_ = make_parameter(at::stack(b1, 0));  // [G,H]
  w2_ = make_parameter(at::stack(w2, 0));  // [G,H,H]
  b2_ = make_parameter(at::stack(b2, 0));  // [G,H]
  w3_ = make_parameter(at::zeros({G, H, P}));
  b3_ = make_parameter(at::zeros({G, P}));
}

at::Tensor PredictorBank::forward(const at::Tensor& features) const {
  check_shape("transformation predictor", "features", features, {{"B", -1}, {"D", in_features_}});
  const int64_t B = features.size(0), G = count_, H = kPredictorHidden;
  auto h1 = at::addmm(b1_.view({G * H}), features, w1_.view({in_features_, G * H}));  // [B,G·H]
  h1 = at::relu(h1).view({B, G, H}).transpose(0, 1);                                  // [G,B,H]
  auto h2 = at::relu(add_grouped_products(b2_.unsqueeze(1), h1, w2_));                // [G,B,H]
  return add_grouped_products(b3_.unsqueeze(1), h2, w3_);                             // [G,B,P]
}

std::vector<NamedTensor> PredictorBank::parameters(const std::string& prefix) const {
  return {{prefix + ".w1", w1_}, {prefix + ".b1", b1_}, {prefix + ".w2", w2_},
          {prefix + ".b2", b2_}, {prefix + ".w3", w3_}, {prefix + ".b3", b3_}};
}

void PredictorBank::copy_instance(int64_t dst, int64_t src) {
  DTI_CHECK(dst >= 0 && dst < count_ && src >= 0 && src < count_,
            "PredictorBank::copy_instance: indices must be in [0, ", count_, "), got ", dst,
            " and ", src);
  if (dst == src) return;
  c10::NoGradGuard no_grad;
  const auto params = parameters("");
  for (size_t i = 0; i < params.size(); ++i) {
    const int64_t dim = instance_dim(i);
    params[i].tensor.select(dim, dst).copy_(params[i].tensor.select(dim, src));
  }
}

void PredictorBank::to(const at::Device& device) {
  for (at::Tensor* t : {&w1_, &b1_, &w2_, &b2_, &w3_, &b3_}) move_parameter(*t, device);
}

}  // namespace dti::core
