#include "core/transform_modules.h"

namespace dti::core {

AffineFamilyTransform::AffineFamilyTransform(TransformKind kind, const TransformOptions& options)
    : kind_(kind), options_(options) {}

int64_t AffineFamilyTransform::num_parameters() const {
  switch (kind_) {
    case TransformKind::kPosition: return 3;
    case TransformKind::kSimilarity: return 4;
    default: return 6;
  }
}

at::Tensor AffineFamilyTransform::theta(const at::Tensor& beta) const {
  const int64_t N = beta.size(0);
  if (kind_ == TransformKind::kAffine) {
    auto eye = at::eye(2, 3, beta.options()).unsqueeze(0);  // [1,2,3]
    return beta.view({N, 2, 3}) + eye;                       // [N,2,3]
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

at::Tensor AffineFamilyTransform::apply(const at::Tensor& x, const at::Tensor& beta) const {
  check_transform_args(to_string(kind_).c_str(), x, beta, num_parameters());
  const auto& out = options_.out_size;
  auto grid = at::affine_grid_generator(theta(beta), {x.size(0), x.size(1), out[0], out[1]},
                                        /*align_corners=*/false);  // [N,H,W,2]
  return sample_grid(x, grid, options_.padding, /*align_corners=*/false);
}

}  // namespace dti::core
