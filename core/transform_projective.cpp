#include "core/transform_modules.h"

namespace dti::core {

ProjectiveTransform::ProjectiveTransform(const TransformOptions& options) : options_(options) {}

at::Tensor ProjectiveTransform::apply(const at::Tensor& x, const at::Tensor& beta) const {
  check_transform_args("projective transformation", x, beta, 9);
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3);
  // The identity in float32: LibTorch 1.13's CPU eye() refuses bfloat16 (β is bfloat16 under
  // training.precision bf16); the sum promotes to float32 then, and is unchanged otherwise.
  const auto eye = at::eye(3, beta.options().dtype(at::kFloat)).view({1, 9});
  auto h = (beta + eye).view({N, 9, 1, 1});  // I₃ + β
  // Output coordinates on linspace(−1,1): ±1 are the centres of the corner pixels. (u,v,w) =
  // Hm·(x,y,1), written with broadcasting instead of N tiny matrix products.
  auto px = at::linspace(-1, 1, W, beta.options()).view({1, 1, W});
  auto py = at::linspace(-1, 1, H, beta.options()).view({1, H, 1});
  auto u = h.select(1, 0) * px + h.select(1, 1) * py + h.select(1, 2);  // [N,H,W]
  auto v = h.select(1, 3) * px + h.select(1, 4) * py + h.select(1, 5);
  auto w = (h.select(1, 6) * px + h.select(1, 7) * py + h.select(1, 8)).unsqueeze(-1);  // [N,H,W,1]
  // Homogeneous division, skipped where |w| ≤ 1e-8 (kornia's convert_points_from_homogeneous);
  // the safe denominator keeps NaN out of the gradient of the branch not taken.
  auto divide = w.abs() > 1e-8;
  auto safe_w = at::where(divide, w, at::ones_like(w));
  auto scale = at::where(divide, 1 / safe_w, at::ones_like(w));
  auto grid = at::stack({u, v}, -1) * scale;  // [N,H,W,2]
  return sample_grid(x, grid, options_.padding, /*align_corners=*/true);
}

}  // namespace dti::core
