// CPU kernels of the fused training-mode BatchNorm + (residual sum) + ReLU (norm_relu.h). The
// tensors are channels-last float32, i.e. M = N·H·W rows of C contiguous channels, so every
// per-channel quantity is a short array and the inner loops run along C (vectorised).
#include "core/norm_relu_kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "base/error.h"

namespace dti::core::fused {
namespace {

// Rows per partial sum. Fixed, so that the sums (and the results) do not depend on the number of
// threads; short, so that float partials of similar values stay accurate (they are added in
// double afterwards).
constexpr int64_t kRows = 256;
// Where C divides it, the kernels walk the flat [rows·C] memory in tiles of kTile floats with the
// per-channel constants repeated across the tile (channel = position mod C): fixed-length inner
// loops even for C = 16, where a row is only two AVX2 vectors. Other C: tiles of one row.
constexpr int64_t kTile = 64;

int64_t num_blocks(int64_t rows) { return (rows + kRows - 1) / kRows; }

// W > 0: compile-time tile width; W == 0: the runtime width w.
template <int64_t W>
inline __attribute__((always_inline)) void sums(const float* __restrict y, int64_t tiles, int64_t w,
                                                const float* __restrict mean,
                                                float* __restrict acc) {
  const int64_t n = W > 0 ? W : w;
  for (int64_t j = 0; j < n; ++j) acc[j] = 0.0f;
  for (int64_t t = 0; t < tiles; ++t) {
    const float* v = y + t * n;
    if (mean) {
      for (int64_t j = 0; j < n; ++j) acc[j] += (v[j] - mean[j]) * (v[j] - mean[j]);
    } else {
      for (int64_t j = 0; j < n; ++j) acc[j] += v[j];
    }
  }
}

template <int64_t W, bool kResidual>
inline __attribute__((always_inline)) void scale_shift_relu(
    const float* __restrict y, const float* __restrict residual, int64_t tiles, int64_t w,
    const float* __restrict a, const float* __restrict b, float* __restrict out) {
  const int64_t n = W > 0 ? W : w;
  for (int64_t t = 0; t < tiles; ++t) {
    const float* v = y + t * n;
    const float* s = kResidual ? residual + t * n : nullptr;
    float* o = out + t * n;
    for (int64_t j = 0; j < n; ++j)
      o[j] = std::max(v[j] * a[j] + b[j] + (kResidual ? s[j] : 0.0f), 0.0f);
  }
}

// Σ dz and Σ dz·(y − mean) per tile position, dz = g where the ReLU passed: out > 0 (kOut) or
// y·a + b > 0, the forward's own expression. kOut also writes dz (the residual's gradient).
template <int64_t W, bool kOut>
inline __attribute__((always_inline)) void grad_sums(
    const float* __restrict g, const float* __restrict y, const float* __restrict out,
    int64_t tiles, int64_t w, const float* __restrict a, const float* __restrict b,
    const float* __restrict mean, float* __restrict dz_out, float* __restrict sum_dz,
    float* __restrict sum_dz_y) {
  const int64_t n = W > 0 ? W : w;
  for (int64_t j = 0; j < n; ++j) sum_dz[j] = 0.0f, sum_dz_y[j] = 0.0f;
  for (int64_t t = 0; t < tiles; ++t) {
    const float* gt = g + t * n;
    const float* v = y + t * n;
    for (int64_t j = 0; j < n; ++j) {
      const bool pass = kOut ? out[t * n + j] > 0.0f : v[j] * a[j] + b[j] > 0.0f;
      const float d = pass ? gt[j] : 0.0f;
      if (kOut) dz_out[t * n + j] = d;
      sum_dz[j] += d;
      sum_dz_y[j] += d * (v[j] - mean[j]);
    }
  }
}

// dx = dz·k1 + (y − mean)·k2 + k3 (BatchNorm's input gradient, folded per channel), dz read
// (kDz) or recomputed from g and the ReLU's condition as in grad_sums.
template <int64_t W, bool kDz>
inline __attribute__((always_inline)) void grad_input(
    const float* __restrict g, const float* __restrict dz, const float* __restrict y, int64_t tiles,
    int64_t w, const float* __restrict a, const float* __restrict b, const float* __restrict mean,
    const float* __restrict k1, const float* __restrict k2, const float* __restrict k3,
    float* __restrict dx) {
  const int64_t n = W > 0 ? W : w;
  for (int64_t t = 0; t < tiles; ++t) {
    const float* v = y + t * n;
    float* o = dx + t * n;
    for (int64_t j = 0; j < n; ++j) {
      const float d = kDz ? dz[t * n + j] : (v[j] * a[j] + b[j] > 0.0f ? g[t * n + j] : 0.0f);
      o[j] = d * k1[j] + (v[j] - mean[j]) * k2[j] + k3[j];
    }
  }
}

// The entry points: one clone per instruction set, dispatching to the fixed-width tile.
#define DTI_CLONES __attribute__((target_clones("avx2", "default")))

DTI_CLONES void sums_any(const float* y, int64_t tiles, int64_t w, const float* mean, float* acc) {
  if (w == kTile) return sums<kTile>(y, tiles, w, mean, acc);
  sums<0>(y, tiles, w, mean, acc);
}

DTI_CLONES void scale_shift_relu_any(const float* y, const float* residual, int64_t tiles,
                                     int64_t w, const float* a, const float* b, float* out) {
  if (w == kTile && residual)
    return scale_shift_relu<kTile, true>(y, residual, tiles, w, a, b, out);
  if (w == kTile) return scale_shift_relu<kTile, false>(y, residual, tiles, w, a, b, out);
  if (residual) return scale_shift_relu<0, true>(y, residual, tiles, w, a, b, out);
  scale_shift_relu<0, false>(y, residual, tiles, w, a, b, out);
}

DTI_CLONES void grad_sums_any(const float* g, const float* y, const float* out, int64_t tiles,
                              int64_t w, const float* a, const float* b, const float* mean,
                              float* dz, float* sum_dz, float* sum_dz_y) {
  if (w == kTile && out)
    return grad_sums<kTile, true>(g, y, out, tiles, w, a, b, mean, dz, sum_dz, sum_dz_y);
  if (w == kTile)
    return grad_sums<kTile, false>(g, y, out, tiles, w, a, b, mean, dz, sum_dz, sum_dz_y);
  if (out) return grad_sums<0, true>(g, y, out, tiles, w, a, b, mean, dz, sum_dz, sum_dz_y);
  grad_sums<0, false>(g, y, out, tiles, w, a, b, mean, dz, sum_dz, sum_dz_y);
}

DTI_CLONES void grad_input_any(const float* g, const float* dz, const float* y, int64_t tiles,
                               int64_t w, const float* a, const float* b, const float* mean,
                               const float* k1, const float* k2, const float* k3, float* dx) {
  if (w == kTile && dz)
    return grad_input<kTile, true>(g, dz, y, tiles, w, a, b, mean, k1, k2, k3, dx);
  if (w == kTile) return grad_input<kTile, false>(g, dz, y, tiles, w, a, b, mean, k1, k2, k3, dx);
  if (dz) return grad_input<0, true>(g, dz, y, tiles, w, a, b, mean, k1, k2, k3, dx);
  grad_input<0, false>(g, dz, y, tiles, w, a, b, mean, k1, k2, k3, dx);
}

#undef DTI_CLONES

// Runs fn(i) for every block i in [0, blocks) on LibTorch's threads. The blocks, not the
// threads' chunks of them, decide every sum, so the results do not depend on the thread count.
template <typename Fn>
void parallel_blocks(int64_t blocks, const Fn& fn) {
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) fn(i);
  });
}

// How a block of rows is walked: whole tiles of `width` floats with per-channel constants
// repeated across a tile, then the rows left over one row at a time (a tile starts on channel 0).
struct Tiling {
  int64_t C, width;
  explicit Tiling(int64_t channels)
      : C(channels), width(kTile % channels == 0 ? kTile : channels) {}
  std::vector<float> repeat(const float* per_channel) const {
    std::vector<float> t(static_cast<size_t>(width));
    for (int64_t j = 0; j < width; ++j) t[j] = per_channel[j % C];
    return t;
  }
  // Calls fn(offset, tiles, w) for the block's tiles and for its remainder.
  template <typename Fn>
  void walk(int64_t first_row, int64_t rows, const Fn& fn) const {
    const int64_t begin = first_row * C, n = rows * C, tiles = n / width;
    if (tiles > 0) fn(begin, tiles, width);
    const int64_t rest = (n - tiles * width) / C;
    if (rest > 0) fn(begin + tiles * width, rest, C);
  }
  // Adds a tile-wide accumulator into per-channel sums.
  void fold(const float* acc, int64_t w, float* per_channel) const {
    for (int64_t j = 0; j < w; ++j) per_channel[j % C] += acc[j];
  }
};

// Runs fn(offset, tiles, w, acc) over every block in parallel, each walk into `parts` (≤ 2)
// accumulators of w floats, folded per channel and block, then added in double in block
// order: [parts·C] totals.
template <typename Fn>
std::vector<double> reduce(const Tiling& tiling, int64_t M, int64_t parts, const Fn& fn) {
  const int64_t C = tiling.C, blocks = num_blocks(M);
  std::vector<float> partial(static_cast<size_t>(blocks * parts * C), 0.0f);
  parallel_blocks(blocks, [&](int64_t i) {
    float acc[2][kMaxChannels];  // per part: one tile, or one row of C ≤ kMaxChannels
    const int64_t first = i * kRows;
    tiling.walk(first, std::min(kRows, M - first), [&](int64_t offset, int64_t tiles, int64_t w) {
      fn(offset, tiles, w, acc);
      for (int64_t p = 0; p < parts; ++p) tiling.fold(acc[p], w, &partial[(i * parts + p) * C]);
    });
  });
  std::vector<double> total(static_cast<size_t>(parts * C), 0.0);
  for (int64_t i = 0; i < blocks; ++i)
    for (int64_t j = 0; j < parts * C; ++j) total[j] += partial[i * parts * C + j];
  return total;
}

template <typename Fn>
void elementwise(const Tiling& tiling, int64_t M, const Fn& fn) {
  parallel_blocks(num_blocks(M), [&](int64_t i) {
    const int64_t first = i * kRows;
    tiling.walk(first, std::min(kRows, M - first), fn);
  });
}

}  // namespace

Statistics batch_statistics(const float* y, int64_t M, int64_t C, double eps) {
  // Two passes (mean, then the centred squares), as LibTorch's own CPU kernel: the variance of
  // values far from zero stays accurate.
  DTI_CHECK(C <= kMaxChannels, "fused BatchNorm: at most ", kMaxChannels, " channels, got ", C);
  const Tiling tiling(C);
  Statistics s;
  s.mean.resize(C);
  s.invstd.resize(C);
  s.var.resize(C);
  auto sums_of = [&](const float* mean) {
    return reduce(tiling, M, 1,
                  [&](int64_t offset, int64_t tiles, int64_t w, float(*acc)[kMaxChannels]) {
                    sums_any(y + offset, tiles, w, mean, acc[0]);
                  });
  };
  auto total = sums_of(nullptr);
  for (int64_t c = 0; c < C; ++c) s.mean[c] = static_cast<float>(total[c] / M);
  auto mean = tiling.repeat(s.mean.data());
  auto squares = sums_of(mean.data());
  for (int64_t c = 0; c < C; ++c) {
    s.var[c] = squares[c] / M;
    s.invstd[c] = static_cast<float>(1.0 / std::sqrt(s.var[c] + eps));
  }
  return s;
}

void normalize_relu(const float* y, const float* residual, int64_t M, int64_t C, const float* a,
                    const float* b, float* out) {
  const Tiling tiling(C);
  auto at = tiling.repeat(a), bt = tiling.repeat(b);
  elementwise(tiling, M, [&](int64_t offset, int64_t tiles, int64_t w) {
    scale_shift_relu_any(y + offset, residual ? residual + offset : nullptr, tiles, w, at.data(),
                         bt.data(), out + offset);
  });
}

void backward(const BackwardArgs& p) {
  const int64_t M = p.M, C = p.C;
  DTI_CHECK(C <= kMaxChannels, "fused BatchNorm: at most ", kMaxChannels, " channels, got ", C);
  const Tiling tiling(C);
  auto at = tiling.repeat(p.a), bt = tiling.repeat(p.b), mean = tiling.repeat(p.mean);
  auto sums = reduce(tiling, M, 2,
                     [&](int64_t offset, int64_t tiles, int64_t w, float(*acc)[kMaxChannels]) {
                       grad_sums_any(p.g + offset, p.y + offset, p.out ? p.out + offset : nullptr,
                                     tiles, w, at.data(), bt.data(), mean.data(),
                                     p.dz ? p.dz + offset : nullptr, acc[0], acc[1]);
                     });
  // dβ = Σdz, dγ = invstd·Σdz(y−μ); dx = γ·invstd·(dz − Σdz/M − (y−μ)·invstd²·Σdz(y−μ)/M).
  std::vector<float> k1(C), k2(C), k3(C);
  for (int64_t c = 0; c < C; ++c) {
    const double sum_dz = sums[c], sum_dz_y = sums[C + c], invstd = p.invstd[c];
    p.grad_bias[c] = static_cast<float>(sum_dz);
    p.grad_weight[c] = static_cast<float>(sum_dz_y * invstd);
    const double scale = p.weight[c] * invstd;
    k1[c] = static_cast<float>(scale);
    k2[c] = static_cast<float>(-scale * invstd * invstd * sum_dz_y / M);
    k3[c] = static_cast<float>(-scale * sum_dz / M);
  }
  auto k1t = tiling.repeat(k1.data()), k2t = tiling.repeat(k2.data()),
       k3t = tiling.repeat(k3.data());
  elementwise(tiling, M, [&](int64_t offset, int64_t tiles, int64_t w) {
    grad_input_any(p.g + offset, p.dz ? p.dz + offset : nullptr, p.y + offset, tiles, w, at.data(),
                   bt.data(), mean.data(), k1t.data(), k2t.data(), k3t.data(), p.dx + offset);
  });
}

}  // namespace dti::core::fused
