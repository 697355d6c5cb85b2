// The predictors' grouped products (core/predictor.cpp) spread over threads: output and every
// parameter and feature gradient equal bit for bit to LibTorch's baddbmm on the same tensors.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <vector>

#include "core/predictor.h"
#include "tests/support/bitwise.h"

namespace dti::test {
namespace {

TEST(Predictor, GroupedProductsEqualLibTorchsBaddbmmBitForBit) {
  const int64_t G = 8, B = 40, D = 64, P = 9;
  core::PredictorBank bank(G, D, P, at::make_generator<at::CPUGeneratorImpl>(1));
  auto gen = at::make_generator<at::CPUGeneratorImpl>(2);
  auto params = bank.parameters("p");
  {
    at::NoGradGuard no_grad;
    params[4].tensor.normal_(0, 0.1, gen);  // w3 starts at zero: give it values
  }
  auto features0 = at::randn({B, D}, gen), grad_out = at::randn({G, B, P}, gen);

  auto features = features0.clone().requires_grad_(true);
  auto out = bank.forward(features);
  out.backward(grad_out);
  std::vector<at::Tensor> got{out.detach(), features.grad()};
  for (auto& p : params) got.push_back(p.tensor.grad().clone()), p.tensor.mutable_grad().reset();

  // The same MLPs with LibTorch's operators (the forward of core/predictor.cpp, spelt out).
  auto f2 = features0.clone().requires_grad_(true);
  const auto &w1 = params[0].tensor, &b1 = params[1].tensor, &w2 = params[2].tensor;
  const auto &b2 = params[3].tensor, &w3 = params[4].tensor, &b3 = params[5].tensor;
  const int64_t H = core::kPredictorHidden;
  auto h1 = at::relu(at::addmm(b1.view({G * H}), f2, w1.view({D, G * H})))
                .view({B, G, H})
                .transpose(0, 1);
  auto h2 = at::relu(at::baddbmm(b2.unsqueeze(1), h1, w2));
  auto out2 = at::baddbmm(b3.unsqueeze(1), h2, w3);
  out2.backward(grad_out);
  std::vector<at::Tensor> want{out2.detach(), f2.grad()};
  for (auto& p : params) want.push_back(p.tensor.grad());
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_TRUE(got[i].defined() && want[i].defined());
    expect_bitwise_equal(got[i], want[i]);
  }
}

}  // namespace
}  // namespace dti::test
