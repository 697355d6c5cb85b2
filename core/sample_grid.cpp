// Bilinear grid sampling of the spatial modules: LibTorch's, the written-out kernel
// (core/bilinear_kernel.h) without gradient, and the cropped forms for sprites on the canvas.
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <vector>

#include "core/bilinear_kernel.h"
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

// Rows only, the first one moved up so that the box starts on a multiple of 16 pixels of the
// flattened H·W plane: LibTorch's sampler walks a contiguous grid in chunks of its vector width
// (8 or 16 floats) and its backward adds each chunk's input gradients corner by corner, so the
// order of those sums, hence their rounding, stays that of the whole grid (rows outside the
// support add nothing: all their corners are masked).
std::vector<Box> aligned_rows(std::vector<Box> boxes, int64_t W) {
  const int64_t step = 16 / std::gcd(W, int64_t{16});
  for (auto& b : boxes) {
    if (b.r0 == b.r1) continue;
    b.r0 -= b.r0 % step;
    b.c0 = 0, b.c1 = W;
  }
  return boxes;
}

int64_t box_area(const std::vector<Box>& boxes) {
  int64_t area = 0;
  for (const auto& b : boxes) area += (b.r1 - b.r0) * (b.c1 - b.c0);
  return area;
}

at::Tensor box_of(const at::Tensor& t, const Box& b, int64_t row_dim) {
  return t.narrow(row_dim, b.r0, b.r1 - b.r0).narrow(row_dim + 1, b.c0, b.c1 - b.c0);
}

// Sampling of whole rows with its gradient: forward as above, backward LibTorch's
// grid_sampler_2d_backward on each image's rows, zero grid gradient elsewhere.
struct RowCroppedSampler : public torch::autograd::Function<RowCroppedSampler> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                            const at::Tensor& grid, const std::vector<int64_t>& rows,
                            bool align_corners) {
    auto out = at::empty({x.size(0), x.size(1), grid.size(1), grid.size(2)}, x.options());
    if (bilinear_matches_libtorch(align_corners)) {
      bilinear_sample(x, grid, align_corners, out);  // one pass, the same values
    } else {
      std::vector<Box> boxes(rows.size() / 2);
      for (size_t n = 0; n < boxes.size(); ++n)
        boxes[n] = Box{rows[2 * n], rows[2 * n + 1], 0, grid.size(2)};
      sample_boxes(x, grid, align_corners, boxes, out);
    }
    ctx->save_for_backward({x, grid});
    ctx->saved_data["rows"] = rows;
    ctx->saved_data["align_corners"] = align_corners;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& grid = saved[1];
    const auto rows = ctx->saved_data["rows"].toIntVector();
    const bool align_corners = ctx->saved_data["align_corners"].toBool();
    const std::array<bool, 2> mask{ctx->needs_input_grad(0), ctx->needs_input_grad(1)};
    auto dx = mask[0] ? at::zeros_like(x, at::MemoryFormat::Contiguous) : at::Tensor();
    auto dgrid = mask[1] ? at::zeros_like(grid, at::MemoryFormat::Contiguous) : at::Tensor();
    const auto& g = grads[0];
    at::parallel_for(0, x.size(0), 1, [&](int64_t begin, int64_t end) {
      c10::NoGradGuard no_grad;
      for (int64_t n = begin; n < end; ++n) {
        const Box b{rows[2 * n], rows[2 * n + 1], 0, grid.size(2)};
        if (b.r0 == b.r1) continue;
        auto parts = at::grid_sampler_2d_backward(
            box_of(g.narrow(0, n, 1), b, 2), x.narrow(0, n, 1), box_of(grid.narrow(0, n, 1), b, 1),
            kBilinear, kZerosPadding, align_corners, mask);
        if (mask[0]) dx.narrow(0, n, 1).copy_(std::get<0>(parts));
        if (mask[1]) box_of(dgrid.narrow(0, n, 1), b, 1).copy_(std::get<1>(parts));
      }
    });
    return {dx, dgrid, at::Tensor(), at::Tensor()};
  }
};

// Sampling with a gradient where the output is no larger than the input: the forward by the
// written-out kernel (equal to LibTorch's, bilinear_matches_libtorch), the backward the call
// LibTorch's own autograd node makes (grid_sampler_2d_backward on the saved input and grid).
struct WrittenOutSampler : public torch::autograd::Function<WrittenOutSampler> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x,
                            const at::Tensor& grid, bool align_corners) {
    auto out = at::empty({x.size(0), x.size(1), grid.size(1), grid.size(2)}, x.options());
    bilinear_sample(x, grid, align_corners, out);
    ctx->save_for_backward({x, grid});
    ctx->saved_data["align_corners"] = align_corners;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const std::array<bool, 2> mask{ctx->needs_input_grad(0), ctx->needs_input_grad(1)};
    auto parts =
        at::grid_sampler_2d_backward(grads[0], saved[0], saved[1], kBilinear, kZerosPadding,
                                     ctx->saved_data["align_corners"].toBool(), mask);
    return {mask[0] ? std::get<0>(parts) : at::Tensor(),
            mask[1] ? std::get<1>(parts) : at::Tensor(), at::Tensor()};
  }
};

bool croppable(const at::Tensor& x, const at::Tensor& grid, PaddingMode padding) {
  return padding == PaddingMode::kZeros && x.is_cpu() && x.scalar_type() == at::kFloat &&
         grid.scalar_type() == at::kFloat && x.dim() == 4 && grid.dim() == 4 &&
         x.size(0) == grid.size(0);
}

bool recording(const at::Tensor& x, const at::Tensor& grid) {
  return c10::GradMode::is_enabled() && (x.requires_grad() || grid.requires_grad());
}

}  // namespace

at::Tensor sample_grid(const at::Tensor& x, const at::Tensor& grid, PaddingMode padding,
                       bool align_corners) {
  const int64_t pad = padding == PaddingMode::kZeros ? kZerosPadding : 1;  // ATen: 1 border
  if (croppable(x, grid, padding) && !recording(x, grid) &&
      bilinear_matches_libtorch(align_corners)) {
    auto out = at::empty({x.size(0), x.size(1), grid.size(1), grid.size(2)}, x.options());
    bilinear_sample(x, grid, align_corners, out);
    return out;
  }
  // Only a sprite placed on a larger canvas leaves most of the output as padding.
  if (!croppable(x, grid, padding) || grid.size(1) * grid.size(2) <= x.size(2) * x.size(3)) {
    if (croppable(x, grid, padding) && bilinear_matches_libtorch(align_corners))
      return WrittenOutSampler::apply(x, grid, align_corners);
    return at::grid_sampler(x, grid, kBilinear, pad, align_corners);
  }
  if (!recording(x, grid)) return sample_grid_cropped(x, grid, align_corners, kMaxCroppedShare);
  return sample_grid_rows(x, grid, align_corners, kMaxCroppedShare);
}

at::Tensor sample_grid_cropped(const at::Tensor& x, const at::Tensor& grid, bool align_corners,
                               double max_share) {
  c10::NoGradGuard no_grad;
  const auto boxes = support_boxes(grid, x.size(2), x.size(3), align_corners);
  const int64_t N = grid.size(0), H = grid.size(1), W = grid.size(2);
  if (static_cast<double>(box_area(boxes)) > max_share * static_cast<double>(N * H * W)) {
    return at::grid_sampler(x, grid, kBilinear, kZerosPadding, align_corners);
  }
  auto out = at::empty({N, x.size(1), H, W}, x.options());
  sample_boxes(x, grid, align_corners, boxes, out);
  return out;
}

at::Tensor sample_grid_rows(const at::Tensor& x, const at::Tensor& grid, bool align_corners,
                            double max_share) {
  std::vector<Box> boxes;
  {
    c10::NoGradGuard no_grad;
    boxes = aligned_rows(support_boxes(grid, x.size(2), x.size(3), align_corners), grid.size(2));
  }
  const int64_t N = grid.size(0), H = grid.size(1), W = grid.size(2);
  if (static_cast<double>(box_area(boxes)) > max_share * static_cast<double>(N * H * W)) {
    return at::grid_sampler(x, grid, kBilinear, kZerosPadding, align_corners);
  }
  std::vector<int64_t> rows;
  for (const auto& b : boxes) rows.push_back(b.r0), rows.push_back(b.r1);
  return RowCroppedSampler::apply(x, grid, rows, align_corners);
}

}  // namespace dti::core
