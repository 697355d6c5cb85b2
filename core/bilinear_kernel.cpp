#include "core/bilinear_kernel.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <cstring>

namespace dti::core {
namespace {

struct Plane {
  const float* data;  // x[n] for the current image
  int64_t channel_stride, row_stride, col_stride, h, w;
};

// The source coordinate of a normalised grid value, rounded as LibTorch's vectorised kernel.
__attribute__((target("avx2,fma"))) inline float source(float g, int64_t size, bool aligned) {
  if (aligned) return (g + 1.0f) * (static_cast<float>(size - 1) / 2.0f);
  return std::fma(g + 1.0f, static_cast<float>(size) / 2.0f, -0.5f);
}

// One output row of one image: W pixels, C channels.
__attribute__((target("avx2,fma"))) void sample_row(const Plane& in, const float* grid, int64_t C,
                                                    int64_t W, int64_t plane, bool aligned,
                                                    float* out) {
  for (int64_t col = 0; col < W; ++col) {
    const float ix = source(grid[2 * col], in.w, aligned);
    const float iy = source(grid[2 * col + 1], in.h, aligned);
    const float x0 = std::floor(ix), y0 = std::floor(iy);
    const float wx = ix - x0, e = 1.0f - wx, ny = iy - y0, s = 1.0f - ny;
    const float nw = s * e, ne = s * wx, sw = ny * e, se = ny * wx;
    // Corners inside x; none for NaN or far coordinates (no integer conversion of those).
    const bool near = ix > -2.0f && ix < static_cast<float>(in.w + 1) && iy > -2.0f &&
                      iy < static_cast<float>(in.h + 1);
    const int64_t X0 = near ? static_cast<int64_t>(x0) : -2;
    const int64_t Y0 = near ? static_cast<int64_t>(y0) : -2;
    const bool left = X0 >= 0 && X0 < in.w, right = X0 + 1 >= 0 && X0 + 1 < in.w;
    const bool top = Y0 >= 0 && Y0 < in.h, bottom = Y0 + 1 >= 0 && Y0 + 1 < in.h;
    if (!((left || right) && (top || bottom))) {
      // LibTorch's chain over four zeros: +0, or NaN where a weight is NaN.
      const float zero = std::fma(0.0f, se, std::fma(0.0f, sw, std::fma(0.0f, ne, 0.0f * nw)));
      for (int64_t c = 0; c < C; ++c) out[c * plane + col] = zero;
      continue;
    }
    const int64_t rs = in.row_stride, xs = in.col_stride, at00 = Y0 * rs + X0 * xs;
    for (int64_t c = 0; c < C; ++c) {
      const int64_t o = c * in.channel_stride + at00;
      const float a = top && left ? in.data[o] : 0.0f;
      const float b = top && right ? in.data[o + xs] : 0.0f;
      const float cc = bottom && left ? in.data[o + rs] : 0.0f;
      const float d = bottom && right ? in.data[o + rs + xs] : 0.0f;
      out[c * plane + col] = std::fma(d, se, std::fma(cc, sw, std::fma(b, ne, a * nw)));
    }
  }
}

bool check(bool aligned) {
  static const bool has_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!has_fma) return false;
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(20261206);
  auto x = at::rand({6, 3, 13, 17}, gen);
  auto grid = (at::rand({6, 100, 96, 2}, gen) * 2.6 - 1.3);  // inside, across and beyond edges
  auto want = at::grid_sampler(x, grid, /*bilinear*/ 0, /*zeros*/ 0, aligned).contiguous();
  auto got = at::empty_like(want);
  bilinear_sample(x, grid, aligned, got);
  return std::memcmp(got.data_ptr<float>(), want.data_ptr<float>(), got.nbytes()) == 0;
}

}  // namespace

bool bilinear_matches_libtorch(bool align_corners) {
  static const bool unaligned = check(false), aligned = check(true);
  return align_corners ? aligned : unaligned;
}

void bilinear_sample(const at::Tensor& x, const at::Tensor& grid_in, bool align_corners,
                     at::Tensor& out) {
  const auto grid = grid_in.contiguous();
  const int64_t N = x.size(0), C = x.size(1), H = grid.size(1), W = grid.size(2);
  TORCH_CHECK(out.is_contiguous() && out.size(0) == N && out.size(1) == C && out.size(2) == H &&
                  out.size(3) == W,
              "bilinear_sample: out must be a contiguous [N,C,H,W] tensor");
  const float* xp = x.data_ptr<float>();
  const float* gp = grid.data_ptr<float>();
  float* op = out.data_ptr<float>();
  at::parallel_for(0, N * H, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t n = i / H, r = i % H;
      const Plane in{xp + n * x.stride(0), x.stride(1), x.stride(2),
                     x.stride(3),          x.size(2),   x.size(3)};
      sample_row(in, gp + (n * H + r) * W * 2, C, W, H * W, align_corners,
                 op + n * C * H * W + r * W);
    }
  });
}

}  // namespace dti::core
