#include "core/transform_modules.h"

namespace dti::core {

AffineFamilyTransform::AffineFamilyTransform(TransformKind kind, const TransformOptions& options)
    : kind_(kind), options_(options) {}

int64_t AffineFamilyTransform::num_parameters() const {
  switch (kind_) {
    case TransformKind::kPosition:
      return 3;
    case TransformKind::kSimilarity:
      return 4;
    default:
      return 6;
  }
}

at::Tensor AffineFamilyTransform::theta(const at::Tensor& beta) const {
  const int64_t N = beta.size(0);
  if (kind_ == TransformKind::kAffine) {
    // float32 identity: see transform_projective.cpp (LibTorch 1.13's CPU eye() and bfloat16).
    auto eye = at::eye(2, 3, beta.options().dtype(at::kFloat)).unsqueeze(0);  // [1,2,3]
    return beta.view({N, 2, 3}) + eye;                                        // [N,2,3]
  }
  auto zero = at::zeros({N}, beta.options());
  at::Tensor row0, row1;
  if (kind_ == TransformKind::kPosition) {
    // Scale e^s + 1: at beta = 0 the sprite is shown at half size (reference behaviour).
    auto scale = beta.select(1, 0).exp() + 1;
    row0 = at::stack({scale, zero, beta.select(1, 1)}, 1);
    row1 = at::stack({zero, scale, beta.select(1, 2)}, 1);
  } else {
    auto a = beta.select(1, 0) + 1, b = beta.select(1, 1);
    row0 = at::stack({a, -b, beta.select(1, 2)}, 1);
    row1 = at::stack({b, a, beta.select(1, 3)}, 1);
  }
  return at::stack({row0, row1}, 1);  // [N,2,3]
}

at::Tensor affine_grid(const at::Tensor& theta, int64_t height, int64_t width) {
  // affine_grid(align_corners=false) written with broadcasting: ATen's version multiplies a
  // [N,H·W,3] base grid by θ with a batched product of tiny matrices, which is slow on the CPU.
  const int64_t N = theta.size(0);
  auto opts = theta.options();
  auto xs = (at::arange(width, opts) * 2 + 1) / static_cast<double>(width) - 1;  // pixel centres
  auto ys = (at::arange(height, opts) * 2 + 1) / static_cast<double>(height) - 1;
  auto t = theta.view({N, 6, 1, 1});
  auto x = xs.view({1, 1, width}), y = ys.view({1, height, 1});
  auto gx = t.select(1, 0) * x + t.select(1, 1) * y + t.select(1, 2);  // [N,H,W]
  auto gy = t.select(1, 3) * x + t.select(1, 4) * y + t.select(1, 5);  // [N,H,W]
  return at::stack({gx, gy}, -1);                                      // [N,H,W,2]
}

at::Tensor AffineFamilyTransform::apply(const at::Tensor& x, const at::Tensor& beta) const {
  check_transform_args(to_string(kind_).c_str(), x, beta, num_parameters());
  const auto& out = options_.out_size;
  auto grid = affine_grid(theta(beta), out[0], out[1]);  // [N,H,W,2]
  return sample_grid(x, grid, options_.padding, /*align_corners=*/false);
}

}  // namespace dti::core
