#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cmath>

#include "core/transform_modules.h"

namespace dti::core {
namespace {

// The grid of apply() below without autograd, in one pass over the output: the same IEEE
// operations per value as its LibTorch operators (each a kernel of its own, so no product and
// sum fused: this file is built with -ffp-contract=off), i.e. u = (h₀·x + h₁·y) + h₂ (v, w
// alike), |w| against 1e-8 in float, then u·(1/w) and v·(1/w).
at::Tensor grid_without_gradient(const at::Tensor& h9, int64_t H, int64_t W) {
  const auto h = h9.contiguous();
  const auto px = at::linspace(-1, 1, W, h.options()), py = at::linspace(-1, 1, H, h.options());
  const int64_t N = h.size(0);
  auto grid = at::empty({N, H, W, 2}, h.options());
  const float *hp = h.data_ptr<float>(), *xp = px.data_ptr<float>(), *yp = py.data_ptr<float>();
  float* gp = grid.data_ptr<float>();
  const float threshold = static_cast<float>(1e-8);  // LibTorch compares in the tensor's type
  at::parallel_for(0, N, 16, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      const float* m = hp + n * 9;
      for (int64_t r = 0; r < H; ++r) {
        const float y = yp[r], uy = m[1] * y, vy = m[4] * y, wy = m[7] * y;
        float* g = gp + ((n * H + r) * W) * 2;
        for (int64_t c = 0; c < W; ++c) {
          const float x = xp[c];
          const float u = (m[0] * x + uy) + m[2];
          const float v = (m[3] * x + vy) + m[5];
          const float w = (m[6] * x + wy) + m[8];
          const float scale = std::fabs(w) > threshold ? 1.0f / w : 1.0f;
          g[2 * c] = u * scale;
          g[2 * c + 1] = v * scale;
        }
      }
    }
  });
  return grid;
}

}  // namespace

ProjectiveTransform::ProjectiveTransform(const TransformOptions& options) : options_(options) {}

at::Tensor ProjectiveTransform::apply(const at::Tensor& x, const at::Tensor& beta) const {
  check_transform_args("projective transformation", x, beta, 9);
  const int64_t N = x.size(0), H = x.size(2), W = x.size(3);
  // The identity in float32: LibTorch 1.13's CPU eye() refuses bfloat16 (β is bfloat16 under
  // training.precision bf16); the sum promotes to float32 then, and is unchanged otherwise.
  const auto eye = at::eye(3, beta.options().dtype(at::kFloat)).view({1, 9});
  if (x.is_cpu() && beta.scalar_type() == at::kFloat &&
      !(c10::GradMode::is_enabled() && beta.requires_grad())) {
    return sample_grid(x, grid_without_gradient((beta + eye).view({N, 9}), H, W), options_.padding,
                       /*align_corners=*/true);
  }
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
