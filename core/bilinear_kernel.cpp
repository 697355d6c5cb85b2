#include "core/bilinear_kernel.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <immintrin.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

namespace dti::core {
namespace {

struct Plane {
  const float* data;  // x[n] for the current image
  int64_t channel_stride, row_stride, col_stride, h, w;
};

#define DTI_AVX2 __attribute__((target("avx2,fma")))

// The source coordinate of a normalised grid value, rounded as LibTorch's vectorised kernel.
DTI_AVX2 inline float source(float g, int64_t size, bool aligned) {
  if (aligned) return (g + 1.0f) * (static_cast<float>(size - 1) / 2.0f);
  return std::fma(g + 1.0f, static_cast<float>(size) / 2.0f, -0.5f);
}

// One output pixel's bilinear weights and which of its four neighbours lie inside x.
struct Tap {
  float nw, ne, sw, se;
  int64_t x0, y0;
  bool left, right, top, bottom;
  bool any() const { return (left || right) && (top || bottom); }
  // LibTorch's chain over four zeros: +0, or NaN where a weight is NaN.
  float zero() const {
    return std::fma(0.0f, se, std::fma(0.0f, sw, std::fma(0.0f, ne, 0.0f * nw)));
  }
};

DTI_AVX2 inline Tap tap(const float* g, int64_t h, int64_t w, bool aligned) {
  const float ix = source(g[0], w, aligned), iy = source(g[1], h, aligned);
  const float x0 = std::floor(ix), y0 = std::floor(iy);
  const float wx = ix - x0, e = 1.0f - wx, ny = iy - y0, s = 1.0f - ny;
  Tap t{s * e, s * wx, ny * e, ny * wx, -2, -2, false, false, false, false};
  // Corners inside x; none for NaN or far coordinates (no integer conversion of those).
  const bool near =
      ix > -2.0f && ix < static_cast<float>(w + 1) && iy > -2.0f && iy < static_cast<float>(h + 1);
  if (near) t.x0 = static_cast<int64_t>(x0), t.y0 = static_cast<int64_t>(y0);
  t.left = t.x0 >= 0 && t.x0 < w, t.right = t.x0 + 1 >= 0 && t.x0 + 1 < w;
  t.top = t.y0 >= 0 && t.y0 < h, t.bottom = t.y0 + 1 >= 0 && t.y0 + 1 < h;
  return t;
}

// One output row of one image, channel by channel: W pixels, C channels.
DTI_AVX2 void sample_row(const Plane& in, const float* grid, int64_t C, int64_t W, int64_t plane,
                         bool aligned, float* out) {
  for (int64_t col = 0; col < W; ++col) {
    const Tap t = tap(grid + 2 * col, in.h, in.w, aligned);
    if (!t.any()) {
      const float zero = t.zero();
      for (int64_t c = 0; c < C; ++c) out[c * plane + col] = zero;
      continue;
    }
    const int64_t rs = in.row_stride, xs = in.col_stride, at00 = t.y0 * rs + t.x0 * xs;
    for (int64_t c = 0; c < C; ++c) {
      const int64_t o = c * in.channel_stride + at00;
      const float a = t.top && t.left ? in.data[o] : 0.0f;
      const float b = t.top && t.right ? in.data[o + xs] : 0.0f;
      const float cc = t.bottom && t.left ? in.data[o + rs] : 0.0f;
      const float d = t.bottom && t.right ? in.data[o + rs + xs] : 0.0f;
      out[c * plane + col] = std::fma(d, t.se, std::fma(cc, t.sw, std::fma(b, t.ne, a * t.nw)));
    }
  }
}

// With 4 channels or more, the channels of a neighbour are read as a vector: x[n] is first copied
// channels-last (pixel (y, x) at (y·w + x)·Cp, Cp = C rounded up to 8, channels C..Cp zero) and
// each output row computed channels-last, then written back plane by plane. The same products
// and FMAs per value as sample_row, lane by lane. On a Zen 4 (dti_bench BM_SelectionSample,
// two runs): GTSRB-8's 1,024 sprites of 5 channels at 28x28 5.4-5.8 -> 3.9-4.1 ms (3.3-3.5 with
// the taps of eight pixels computed at once, row_taps), Tetrominoes' 96 images of 19 stacked
// sprites (95 channels) at 35x35 12.4-13.9 -> 4.8-5.3 ms; at 3 channels and fewer the scalar
// path was as fast or faster.
constexpr int64_t kMinVectorChannels = 4;
constexpr int64_t kLanes = 8;
constexpr int64_t kMaxChannelsLastFloats = int64_t{1} << 21;  // 8 MiB per thread

int64_t padded_channels(int64_t C) { return (C + kLanes - 1) / kLanes * kLanes; }

// Images are split over threads (the rows of one image, as the scalar path splits them, would
// each copy the image), so this path wants at least one image per thread.
bool vector_path(const Plane& in, int64_t N, int64_t C, int64_t H, int64_t W) {
  const int64_t Cp = padded_channels(C);
  return C >= kMinVectorChannels && N >= at::get_num_threads() &&
         (in.h * in.w + H * W) * Cp <= kMaxChannelsLastFloats;
}

// Transposes 8 rows of 8 floats in registers: r[i][j] -> r[j][i].
DTI_AVX2 inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {  // u[i..i+3]: rows 0-1 of t[i], of t[i+1], then rows 2-3
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
    r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
  }
}

// x[n] channels-last in cl (h·w pixels of Cp floats). Tiles of 8 channels × 8 pixels, transposed
// in registers: each plane is read along its rows, a few at a time, and cl written 8 floats at a
// time (a scalar copy, pixel by pixel or plane by plane, missed the caches at every element and
// took 5x the sampling itself).
DTI_AVX2 void to_channels_last(const Plane& in, int64_t C, int64_t Cp, float* cl) {
  const int64_t P = in.h * in.w;
  const bool rows = in.col_stride == 1 && in.row_stride == in.w;  // planes contiguous
  const int64_t whole = rows ? P / kLanes * kLanes : 0;
  for (int64_t c0 = 0; c0 < Cp; c0 += kLanes) {
    for (int64_t p0 = 0; p0 < whole; p0 += kLanes) {
      __m256 r[8];
      for (int64_t i = 0; i < kLanes; ++i)
        r[i] = c0 + i < C ? _mm256_loadu_ps(in.data + (c0 + i) * in.channel_stride + p0)
                          : _mm256_setzero_ps();
      transpose8(r);
      for (int64_t i = 0; i < kLanes; ++i) _mm256_storeu_ps(cl + (p0 + i) * Cp + c0, r[i]);
    }
  }
  for (int64_t p = whole; p < P; ++p) {
    const float* src = in.data + (p / in.w) * in.row_stride + (p % in.w) * in.col_stride;
    for (int64_t c = 0; c < Cp; ++c) cl[p * Cp + c] = c < C ? src[c * in.channel_stride] : 0.0f;
  }
}

DTI_AVX2 inline __m256 corner(bool inside, const float* cl, int64_t offset) {
  return inside ? _mm256_loadu_ps(cl + offset) : _mm256_setzero_ps();
}

// The taps of one output row, eight pixels at a time with tap()'s operations lane by lane (its
// scalar form cost about as much as the sampling itself at 5 channels). flags: bits 0-3 the
// corners nw, ne, sw, se inside x, bit 4 any of them; offset: the nw corner's, channels-last.
struct RowTaps {
  std::vector<float> nw, ne, sw, se, zero;
  std::vector<int32_t> offset, flags;
  explicit RowTaps(int64_t W) : nw(W), ne(W), sw(W), se(W), zero(W), offset(W), flags(W) {}
};

DTI_AVX2 inline __m256 source8(__m256 g, int64_t size, bool aligned) {
  const __m256 g1 = _mm256_add_ps(g, _mm256_set1_ps(1.0f));
  if (aligned) return _mm256_mul_ps(g1, _mm256_set1_ps(static_cast<float>(size - 1) / 2.0f));
  return _mm256_fmadd_ps(g1, _mm256_set1_ps(static_cast<float>(size) / 2.0f),
                         _mm256_set1_ps(-0.5f));
}

// [x0 x1 x4 x5 x2 x3 x6 x7] (a shuffle of two pixel-pair loads) into x0..x7.
DTI_AVX2 inline __m256 order(__m256 v) {
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), 0xD8));
}

// Lanes where first <= v < last (int32).
DTI_AVX2 inline __m256i within(__m256i v, int64_t first, int64_t last) {
  return _mm256_and_si256(_mm256_cmpgt_epi32(v, _mm256_set1_epi32(static_cast<int>(first - 1))),
                          _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(last)), v));
}

DTI_AVX2 inline __m256i bit(__m256i mask, int value) {
  return _mm256_and_si256(mask, _mm256_set1_epi32(value));
}

DTI_AVX2 void row_taps(const float* grid, int64_t W, int64_t h, int64_t w, int64_t Cp, bool aligned,
                       RowTaps& t) {
  const int64_t whole = W / kLanes * kLanes;
  const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
  for (int64_t c = 0; c < whole; c += kLanes) {
    // (x, y) pairs of 8 pixels into 8 x and 8 y.
    const __m256 a = _mm256_loadu_ps(grid + 2 * c), b = _mm256_loadu_ps(grid + 2 * c + 8);
    const __m256 ix = source8(order(_mm256_shuffle_ps(a, b, 0x88)), w, aligned);
    const __m256 iy = source8(order(_mm256_shuffle_ps(a, b, 0xDD)), h, aligned);
    const __m256 x0 = _mm256_floor_ps(ix), y0 = _mm256_floor_ps(iy);
    const __m256 wx = _mm256_sub_ps(ix, x0), e = _mm256_sub_ps(one, wx);
    const __m256 ny = _mm256_sub_ps(iy, y0), s = _mm256_sub_ps(one, ny);
    const __m256 nw = _mm256_mul_ps(s, e), ne = _mm256_mul_ps(s, wx);
    const __m256 sw = _mm256_mul_ps(ny, e), se = _mm256_mul_ps(ny, wx);
    const __m256 near = _mm256_and_ps(
        _mm256_and_ps(_mm256_cmp_ps(ix, _mm256_set1_ps(-2.0f), _CMP_GT_OQ),
                      _mm256_cmp_ps(ix, _mm256_set1_ps(static_cast<float>(w + 1)), _CMP_LT_OQ)),
        _mm256_and_ps(_mm256_cmp_ps(iy, _mm256_set1_ps(-2.0f), _CMP_GT_OQ),
                      _mm256_cmp_ps(iy, _mm256_set1_ps(static_cast<float>(h + 1)), _CMP_LT_OQ)));
    const __m256i far = _mm256_set1_epi32(-2), inside = _mm256_castps_si256(near);
    const __m256i X0 = _mm256_blendv_epi8(far, _mm256_cvttps_epi32(x0), inside);
    const __m256i Y0 = _mm256_blendv_epi8(far, _mm256_cvttps_epi32(y0), inside);
    const __m256i left = within(X0, 0, w), right = within(X0, -1, w - 1);
    const __m256i top = within(Y0, 0, h), bottom = within(Y0, -1, h - 1);
    const __m256i any =
        _mm256_and_si256(_mm256_or_si256(left, right), _mm256_or_si256(top, bottom));
    __m256i flags =
        _mm256_or_si256(bit(_mm256_and_si256(top, left), 1), bit(_mm256_and_si256(top, right), 2));
    flags = _mm256_or_si256(flags, bit(_mm256_and_si256(bottom, left), 4));
    flags = _mm256_or_si256(flags, bit(_mm256_and_si256(bottom, right), 8));
    flags = _mm256_or_si256(flags, bit(any, 16));
    const __m256i offset =
        _mm256_add_epi32(_mm256_mullo_epi32(Y0, _mm256_set1_epi32(static_cast<int>(w * Cp))),
                         _mm256_mullo_epi32(X0, _mm256_set1_epi32(static_cast<int>(Cp))));
    const __m256 z = _mm256_fmadd_ps(
        zero, se, _mm256_fmadd_ps(zero, sw, _mm256_fmadd_ps(zero, ne, _mm256_mul_ps(zero, nw))));
    _mm256_storeu_ps(&t.nw[c], nw);
    _mm256_storeu_ps(&t.ne[c], ne);
    _mm256_storeu_ps(&t.sw[c], sw);
    _mm256_storeu_ps(&t.se[c], se);
    _mm256_storeu_ps(&t.zero[c], z);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(&t.offset[c]), offset);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(&t.flags[c]), flags);
  }
  for (int64_t c = whole; c < W; ++c) {
    const Tap p = tap(grid + 2 * c, h, w, aligned);
    t.nw[c] = p.nw, t.ne[c] = p.ne, t.sw[c] = p.sw, t.se[c] = p.se, t.zero[c] = p.zero();
    t.offset[c] = static_cast<int32_t>(p.y0 * w * Cp + p.x0 * Cp);
    t.flags[c] = (p.top && p.left) | (p.top && p.right) << 1 | (p.bottom && p.left) << 2 |
                 (p.bottom && p.right) << 3 | p.any() << 4;
  }
}

// One output row from x[n] channels-last (cl), written channels-last: W pixels of Cp floats.
DTI_AVX2 void sample_row_vector(const Plane& in, const float* cl, const float* grid, int64_t Cp,
                                int64_t W, bool aligned, RowTaps& taps, float* row) {
  const int64_t rs = in.w * Cp;
  row_taps(grid, W, in.h, in.w, Cp, aligned, taps);
  for (int64_t col = 0; col < W; ++col) {
    const int f = taps.flags[col];
    float* dst = row + col * Cp;
    if (!(f & 16)) {
      const __m256 zero = _mm256_set1_ps(taps.zero[col]);
      for (int64_t v = 0; v < Cp; v += kLanes) _mm256_storeu_ps(dst + v, zero);
      continue;
    }
    const __m256 nw = _mm256_set1_ps(taps.nw[col]), ne = _mm256_set1_ps(taps.ne[col]);
    const __m256 sw = _mm256_set1_ps(taps.sw[col]), se = _mm256_set1_ps(taps.se[col]);
    const int64_t at00 = taps.offset[col];
    for (int64_t v = 0; v < Cp; v += kLanes) {
      const __m256 a = corner(f & 1, cl, at00 + v);
      const __m256 b = corner(f & 2, cl, at00 + Cp + v);
      const __m256 cc = corner(f & 4, cl, at00 + rs + v);
      const __m256 d = corner(f & 8, cl, at00 + rs + Cp + v);
      const __m256 value = _mm256_fmadd_ps(
          d, se, _mm256_fmadd_ps(cc, sw, _mm256_fmadd_ps(b, ne, _mm256_mul_ps(a, nw))));
      _mm256_storeu_ps(dst + v, value);
    }
  }
}

// out[c] (P pixels, contiguous) = channel c of the channels-last cl, by tiles as above.
DTI_AVX2 void from_channels_last(const float* cl, int64_t C, int64_t Cp, int64_t P, float* out) {
  const int64_t whole = P / kLanes * kLanes;
  for (int64_t c0 = 0; c0 < C; c0 += kLanes) {
    for (int64_t p0 = 0; p0 < whole; p0 += kLanes) {
      __m256 r[8];
      for (int64_t i = 0; i < kLanes; ++i) r[i] = _mm256_loadu_ps(cl + (p0 + i) * Cp + c0);
      transpose8(r);
      for (int64_t i = 0; i < kLanes && c0 + i < C; ++i)
        _mm256_storeu_ps(out + (c0 + i) * P + p0, r[i]);
    }
  }
  for (int64_t p = whole; p < P; ++p) {
    for (int64_t c = 0; c < C; ++c) out[c * P + p] = cl[p * Cp + c];
  }
}

// Image n sampled through the channels-last copies: in_cl (h·w·Cp) and out_cl (H·W·Cp) scratch.
// A grid [N,H,W,2] whose (x, y) pairs are contiguous, read in place: TPS hands over a permuted
// view (pixel-major), whose copy to [N,H,W,2] cost as much as a sampling pass's transposes.
struct GridView {
  const float* data;
  int64_t image_stride, row_stride, pixel_stride;
  // Row r of image n as W consecutive pairs: in place, or gathered into pairs (2·W floats).
  const float* row(int64_t n, int64_t r, int64_t W, float* pairs) const {
    const float* g = data + n * image_stride + r * row_stride;
    if (pixel_stride == 2) return g;
    for (int64_t c = 0; c < W; ++c) {
      pairs[2 * c] = g[c * pixel_stride];
      pairs[2 * c + 1] = g[c * pixel_stride + 1];
    }
    return pairs;
  }
};

void sample_image_vector(const Plane& in, const GridView& grid, int64_t n, int64_t C, int64_t H,
                         int64_t W, bool aligned, float* in_cl, float* out_cl, RowTaps& taps,
                         float* pairs, float* out) {
  const int64_t Cp = padded_channels(C);
  to_channels_last(in, C, Cp, in_cl);
  for (int64_t r = 0; r < H; ++r) {
    sample_row_vector(in, in_cl, grid.row(n, r, W, pairs), Cp, W, aligned, taps,
                      out_cl + r * W * Cp);
  }
  from_channels_last(out_cl, C, Cp, H * W, out);
}

// Both paths (3 channels one by one, 11 as a vector and a tail) against LibTorch's sampler.
bool check(bool aligned) {
  static const bool has_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!has_fma) return false;
  c10::NoGradGuard no_grad;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(20261206);
  for (int64_t C : {3, 11}) {
    auto x = at::rand({6, C, 13, 17}, gen);
    auto grid = (at::rand({6, 100, 96, 2}, gen) * 2.6 - 1.3);  // inside, across and beyond edges
    auto want = at::grid_sampler(x, grid, /*bilinear*/ 0, /*zeros*/ 0, aligned).contiguous();
    auto got = at::empty_like(want);
    bilinear_sample(x, grid, aligned, got);
    if (std::memcmp(got.data_ptr<float>(), want.data_ptr<float>(), got.nbytes()) != 0) return false;
  }
  return true;
}

}  // namespace

bool bilinear_matches_libtorch(bool align_corners) {
  static const bool unaligned = check(false), aligned = check(true);
  return align_corners ? aligned : unaligned;
}

void bilinear_sample(const at::Tensor& x, const at::Tensor& grid_in, bool align_corners,
                     at::Tensor& out) {
  const auto grid = grid_in.stride(3) == 1 ? grid_in : grid_in.contiguous();
  const int64_t N = x.size(0), C = x.size(1), H = grid.size(1), W = grid.size(2);
  TORCH_CHECK(out.is_contiguous() && out.size(0) == N && out.size(1) == C && out.size(2) == H &&
                  out.size(3) == W,
              "bilinear_sample: out must be a contiguous [N,C,H,W] tensor");
  const float* xp = x.data_ptr<float>();
  const GridView g{grid.data_ptr<float>(), grid.stride(0), grid.stride(1), grid.stride(2)};
  float* op = out.data_ptr<float>();
  const Plane first{xp, x.stride(1), x.stride(2), x.stride(3), x.size(2), x.size(3)};
  if (vector_path(first, N, C, H, W)) {
    const int64_t Cp = padded_channels(C);
    at::parallel_for(0, N, 1, [&](int64_t begin, int64_t end) {
      std::vector<float> in_cl(static_cast<size_t>(first.h * first.w * Cp), 0.0f);
      std::vector<float> out_cl(static_cast<size_t>(H * W * Cp)), pairs(2 * W);
      RowTaps taps(W);
      for (int64_t n = begin; n < end; ++n) {
        Plane in = first;
        in.data = xp + n * x.stride(0);
        sample_image_vector(in, g, n, C, H, W, align_corners, in_cl.data(), out_cl.data(), taps,
                            pairs.data(), op + n * C * H * W);
      }
    });
    return;
  }
  at::parallel_for(0, N * H, 16, [&](int64_t begin, int64_t end) {
    std::vector<float> pairs(2 * W);
    for (int64_t i = begin; i < end; ++i) {
      const int64_t n = i / H, r = i % H;
      Plane in = first;
      in.data = xp + n * x.stride(0);
      sample_row(in, g.row(n, r, W, pairs.data()), C, W, H * W, align_corners,
                 op + n * C * H * W + r * W);
    }
  });
}

}  // namespace dti::core
#undef DTI_AVX2
