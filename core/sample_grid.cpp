// Bilinear grid sampling of the spatial modules, and its cropped form for the selection pass.
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/transform_modules.h"

namespace dti::core {
namespace {

constexpr int64_t kBilinear = 0;  // ATen's interpolation and padding codes
constexpr int64_t kZerosPadding = 0;
// Cropping pays only where most of the output is padding: a layer's sprite placed on a larger
// canvas (Multi-dSprites: 28×28 on 64×64, about a quarter of it).
constexpr double kMaxCroppedShare = 0.6;

struct Box {
  int64_t r0 = 0, r1 = 0, c0 = 0, c1 = 0;  // rows [r0,r1), columns [c0,c1); empty if r0 == r1
};

// Source coordinate of a normalised grid value (ATen's unnormalisation, in float64 here).
double unnormalise(float g, int64_t size, bool align_corners) {
  return align_corners ? (g + 1.0) / 2.0 * static_cast<double>(size - 1)
                       : ((g + 1.0) * static_cast<double>(size) - 1.0) / 2.0;
}

// Per output image, the rows and columns holding every pixel that can be non-zero: a pixel is
// exactly zero under zero padding when its four bilinear neighbours all lie outside the input,
// i.e. its source x ∉ (−1, w) or y ∉ (−1, h). Half a pixel of margin, and non-finite or huge
// coordinates count as inside, so no pixel LibTorch would make non-zero (or NaN) is left out.
std::vector<Box> support_boxes(const at::Tensor& grid_in, int64_t h, int64_t w,
                               bool align_corners) {
  const auto grid = grid_in.contiguous();
  const int64_t N = grid.size(0), H = grid.size(1), W = grid.size(2);
  const float* gp = grid.data_ptr<float>();
  std::vector<Box> boxes(static_cast<size_t>(N));
  at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
    for (int64_t n = begin; n < end; ++n) {
      Box b{H, 0, W, 0};
      for (int64_t r = 0; r < H; ++r) {
        for (int64_t c = 0; c < W; ++c) {
          const float* g = gp + ((n * H + r) * W + c) * 2;
          const bool sane = std::abs(g[0]) < 1e6f && std::abs(g[1]) < 1e6f;  // false for NaN
          const double ix = unnormalise(g[0], w, align_corners);
          const double iy = unnormalise(g[1], h, align_corners);
          if (sane && (ix <= -1.5 || ix >= w + 0.5 || iy <= -1.5 || iy >= h + 0.5)) continue;
          b.r0 = std::min(b.r0, r), b.r1 = std::max(b.r1, r + 1);
          b.c0 = std::min(b.c0, c), b.c1 = std::max(b.c1, c + 1);
        }
      }
      boxes[static_cast<size_t>(n)] = b.r0 < b.r1 ? b : Box{};
    }
  });
  return boxes;
}

// out[n] = 0 outside its box, LibTorch's sampling of the box inside it (the same kernel on the
// same grid values, so equal bit for bit to sampling the whole grid).
void sample_boxes(const at::Tensor& x, const at::Tensor& grid, bool align_corners,
                  const std::vector<Box>& boxes, at::Tensor& out) {
  const int64_t C = x.size(1), H = grid.size(1), W = grid.size(2);
  float* op = out.data_ptr<float>();
  at::parallel_for(0, grid.size(0), 1, [&](int64_t begin, int64_t end) {
    c10::NoGradGuard no_grad;  // grad mode is per thread; OpenMP workers start with it on
    for (int64_t n = begin; n < end; ++n) {
      const Box& b = boxes[static_cast<size_t>(n)];
      float* image = op + n * C * H * W;
      std::memset(image, 0, sizeof(float) * C * H * W);
      if (b.r0 == b.r1) continue;
      auto part =
          at::grid_sampler(
              x.narrow(0, n, 1),
              grid.narrow(0, n, 1).narrow(1, b.r0, b.r1 - b.r0).narrow(2, b.c0, b.c1 - b.c0),
              kBilinear, kZerosPadding, align_corners)
              .contiguous();
      const float* pp = part.data_ptr<float>();
      const int64_t bw = b.c1 - b.c0;
      for (int64_t c = 0; c < C; ++c) {
        for (int64_t r = b.r0; r < b.r1; ++r) {
          std::memcpy(image + (c * H + r) * W + b.c0, pp + (c * (b.r1 - b.r0) + r - b.r0) * bw,
                      sizeof(float) * bw);
        }
      }
    }
  });
}

bool croppable(const at::Tensor& x, const at::Tensor& grid, PaddingMode padding) {
  if (padding != PaddingMode::kZeros || !x.is_cpu() || x.scalar_type() != at::kFloat ||
      grid.scalar_type() != at::kFloat || x.dim() != 4 || grid.dim() != 4)
    return false;
  return !c10::GradMode::is_enabled() || !(x.requires_grad() || grid.requires_grad());
}

}  // namespace

at::Tensor sample_grid(const at::Tensor& x, const at::Tensor& grid, PaddingMode padding,
                       bool align_corners) {
  const int64_t pad = padding == PaddingMode::kZeros ? kZerosPadding : 1;  // ATen: 1 border
  if (!croppable(x, grid, padding)) {
    return at::grid_sampler(x, grid, kBilinear, pad, align_corners);
  }
  // Only a sprite placed on a larger canvas leaves most of the output as padding.
  if (grid.size(1) * grid.size(2) <= x.size(2) * x.size(3)) {
    return at::grid_sampler(x, grid, kBilinear, pad, align_corners);
  }
  return sample_grid_cropped(x, grid, align_corners, kMaxCroppedShare);
}

at::Tensor sample_grid_cropped(const at::Tensor& x, const at::Tensor& grid, bool align_corners,
                               double max_share) {
  TORCH_CHECK(x.size(0) == grid.size(0), "sample_grid_cropped: ", x.size(0), " images and ",
              grid.size(0), " grids");
  const auto boxes = support_boxes(grid, x.size(2), x.size(3), align_corners);
  int64_t area = 0;
  for (const auto& b : boxes) area += (b.r1 - b.r0) * (b.c1 - b.c0);
  const int64_t N = grid.size(0), H = grid.size(1), W = grid.size(2);
  if (static_cast<double>(area) > max_share * static_cast<double>(N * H * W)) {
    return at::grid_sampler(x, grid, kBilinear, kZerosPadding, align_corners);
  }
  auto out = at::empty({N, x.size(1), H, W}, x.options());
  sample_boxes(x, grid, align_corners, boxes, out);
  return out;
}

}  // namespace dti::core
