// Kernels of norm_relu_exact.h. Channels-last float32: M rows (N·H·W) of C contiguous channels,
// C a multiple of 8, so each row is C/8 AVX2 vectors. The sums follow LibTorch's order (per
// channel, row after row, one partial per thread of at::parallel_for(0, M, 1)) but keep their
// partials in registers, where LibTorch's reads and writes a buffer row per input row; the
// element-wise passes fold LibTorch's separate operators (normalise, add, ReLU; ReLU backward,
// BatchNorm backward). Built with -ffp-contract=off: every FMA below is written out, and nothing
// else is fused.
#include "core/norm_relu_exact.h"

#include <ATen/Parallel.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "base/error.h"

namespace dti::core::exact {
namespace {

#define DTI_AVX2 __attribute__((target("avx2,fma")))

constexpr int64_t kLanes = 8;
constexpr int kMaxGroup = 8;  // vectors of channels whose partial sums stay in registers

// Σ y (kCentred: Σ (y − mean)², one FMA per term) over rows [b, e) of channels [c0, c0 + 8·G).
template <int G, bool kCentred>
DTI_AVX2 void column_sums(const float* y, int64_t b, int64_t e, int64_t C, int64_t c0,
                          const float* mean, float* acc) {
  __m256 s[G], m[G];
  for (int j = 0; j < G; ++j) {
    s[j] = _mm256_setzero_ps();
    m[j] = kCentred ? _mm256_loadu_ps(mean + c0 + kLanes * j) : _mm256_setzero_ps();
  }
  for (int64_t i = b; i < e; ++i) {
    const float* v = y + i * C + c0;
    for (int j = 0; j < G; ++j) {
      const __m256 x = _mm256_loadu_ps(v + kLanes * j);
      if (kCentred) {
        const __m256 d = _mm256_sub_ps(x, m[j]);
        s[j] = _mm256_fmadd_ps(d, d, s[j]);
      } else {
        s[j] = _mm256_add_ps(x, s[j]);
      }
    }
  }
  for (int j = 0; j < G; ++j) _mm256_storeu_ps(acc + c0 + kLanes * j, s[j]);
}

// The ReLU's backward (threshold_backward): g where the ReLU's output was > 0, +0 elsewhere; the
// output read from p.out or, without a residual, recomputed as y·α + β' as the forward did.
DTI_AVX2 inline __m256 relu_gradient(const fused::BackwardArgs& p, int64_t o, int64_t c, __m256 x) {
  const __m256 relu_in =
      p.out ? _mm256_loadu_ps(p.out + o)
            : _mm256_fmadd_ps(x, _mm256_loadu_ps(p.a + c), _mm256_loadu_ps(p.b + c));
  const __m256 off = _mm256_cmp_ps(relu_in, _mm256_setzero_ps(), _CMP_LE_OQ);
  return _mm256_andnot_ps(off, _mm256_loadu_ps(p.g + o));
}

// The backward's sums over rows [b, e) of channels [c0, c0 + 8·G): dz = 0 where the ReLU's
// output was ≤ 0 (read from out, or recomputed as y·α + β' without a residual), g elsewhere;
// Σ dz and Σ (y − μ)·dz (FMA). Writes dz where asked.
template <int G>
DTI_AVX2 void gradient_sums(const fused::BackwardArgs& p, int64_t b, int64_t e, int64_t c0,
                            float* sum, float* dotp) {
  const int64_t C = p.C;
  __m256 s[G], d[G];
  for (int j = 0; j < G; ++j) s[j] = d[j] = _mm256_setzero_ps();
  for (int64_t i = b; i < e; ++i) {
    const int64_t row = i * C + c0;
    for (int j = 0; j < G; ++j) {
      const int64_t o = row + kLanes * j, c = c0 + kLanes * j;
      const __m256 x = _mm256_loadu_ps(p.y + o);
      const __m256 dz = relu_gradient(p, o, c, x);
      if (p.dz) _mm256_storeu_ps(p.dz + o, dz);
      s[j] = _mm256_add_ps(s[j], dz);
      d[j] = _mm256_fmadd_ps(_mm256_sub_ps(x, _mm256_loadu_ps(p.mean + c)), dz, d[j]);
    }
  }
  for (int j = 0; j < G; ++j) {
    _mm256_storeu_ps(sum + c0 + kLanes * j, s[j]);
    _mm256_storeu_ps(dotp + c0 + kLanes * j, d[j]);
  }
}

// Calls fn(c0, std::integral_constant<int, G>) for every group of G ≤ kMaxGroup vectors of
// channels, G a compile-time constant so that the group's partial sums stay in registers.
template <int G = kMaxGroup, typename Fn>
void for_group(int g, int64_t c0, const Fn& fn) {
  if constexpr (G > 1) {
    if (g < G) return for_group<G - 1>(g, c0, fn);
  }
  fn(c0, std::integral_constant<int, G>{});
}

template <typename Fn>
void over_groups(int64_t C, const Fn& fn) {
  for (int64_t c0 = 0; c0 < C; c0 += kLanes * kMaxGroup)
    for_group(static_cast<int>(std::min<int64_t>(kMaxGroup, (C - c0) / kLanes)), c0, fn);
}

// LibTorch's two-path reduction: partials[t] = the thread's sums over the rows
// at::parallel_for(0, M, 1) gives thread t (zero where a thread gets none), then per channel
// 0.0 + partials[0] + partials[1] + … in double.
template <typename Fn>
std::vector<double> reduce(int64_t M, int64_t C, int64_t parts, const Fn& fn) {
  const int threads = at::get_num_threads();
  std::vector<float> partial(static_cast<size_t>(threads * parts * C), 0.0f);
  at::parallel_for(0, M, 1, [&](int64_t b, int64_t e) {
    const int t = at::get_thread_num();
    DTI_CHECK(t < threads, "BatchNorm: thread ", t, " of ", threads);
    fn(b, e, &partial[static_cast<size_t>(t * parts * C)]);
  });
  std::vector<double> total(static_cast<size_t>(parts * C), 0.0);
  for (int t = 0; t < threads; ++t)
    for (int64_t j = 0; j < parts * C; ++j) total[j] += partial[t * parts * C + j];
  return total;
}

DTI_AVX2 void normalize_rows(const float* y, const float* residual, int64_t b, int64_t e, int64_t C,
                             const float* alpha, const float* beta, float* out) {
  const __m256 zero = _mm256_setzero_ps();
  for (int64_t i = b; i < e; ++i) {
    for (int64_t c = 0; c < C; c += kLanes) {
      const int64_t o = i * C + c;
      __m256 v = _mm256_fmadd_ps(_mm256_loadu_ps(y + o), _mm256_loadu_ps(alpha + c),
                                 _mm256_loadu_ps(beta + c));
      if (residual) v = _mm256_add_ps(v, _mm256_loadu_ps(residual + o));
      _mm256_storeu_ps(out + o, _mm256_max_ps(zero, v));  // LibTorch's clamp_min(v, 0)
    }
  }
}

// dx = (dz − Σdz/M − (y − μ)·k)·invstd·γ with k = Σ(y − μ)dz·invstd·invstd/M, all in float as
// LibTorch's kernel (the subtraction of (y − μ)·k an FMA); dz read, or recomputed as in
// gradient_sums.
DTI_AVX2 void input_gradient_rows(const fused::BackwardArgs& p, int64_t b, int64_t e,
                                  const float* k, const float* grad_mean, float* dx) {
  const int64_t C = p.C;
  for (int64_t i = b; i < e; ++i) {
    for (int64_t c = 0; c < C; c += kLanes) {
      const int64_t o = i * C + c;
      const __m256 x = _mm256_loadu_ps(p.y + o);
      const __m256 dz = p.dz ? _mm256_loadu_ps(p.dz + o) : relu_gradient(p, o, c, x);
      const __m256 centred = _mm256_sub_ps(x, _mm256_loadu_ps(p.mean + c));
      const __m256 v = _mm256_fnmadd_ps(centred, _mm256_loadu_ps(k + c),
                                        _mm256_sub_ps(dz, _mm256_loadu_ps(grad_mean + c)));
      const __m256 scaled = _mm256_mul_ps(v, _mm256_loadu_ps(p.invstd + c));
      _mm256_storeu_ps(dx + o, _mm256_mul_ps(scaled, _mm256_loadu_ps(p.weight + c)));
    }
  }
}

// Rows per task of the element-wise passes (their split does not change any value).
constexpr int64_t kGrain = 256;

}  // namespace

bool kernels_apply(int64_t C) {
  static const bool cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return cpu && C > 0 && C % kLanes == 0 && C <= fused::kMaxChannels;
}

Statistics batch_statistics(const float* y, int64_t M, int64_t C, double eps) {
  DTI_CHECK(kernels_apply(C), "exact BatchNorm kernels: C = ", C, " needs a multiple of 8");
  Statistics s;
  s.mean.resize(C);
  s.var_sum.resize(C);
  s.invstd.resize(C);
  auto sums = reduce(M, C, 1, [&](int64_t b, int64_t e, float* acc) {
    over_groups(C, [&](int64_t c0, auto g) {
      column_sums<decltype(g)::value, false>(y, b, e, C, c0, nullptr, acc);
    });
  });
  for (int64_t c = 0; c < C; ++c) s.mean[c] = static_cast<float>(sums[c] / static_cast<double>(M));
  auto squares = reduce(M, C, 1, [&](int64_t b, int64_t e, float* acc) {
    over_groups(C, [&](int64_t c0, auto g) {
      column_sums<decltype(g)::value, true>(y, b, e, C, c0, s.mean.data(), acc);
    });
  });
  for (int64_t c = 0; c < C; ++c) {
    s.var_sum[c] = static_cast<float>(squares[c]);
    // LibTorch: _var_sum / n with n an int64_t, i.e. in float, then InvStd<double>.
    const double var = s.var_sum[c] / static_cast<float>(M);
    s.invstd[c] = static_cast<float>(1.0 / std::sqrt(var + eps));
  }
  return s;
}

void update_running(const Statistics& s, int64_t M, double momentum, float* running_mean,
                    float* running_var) {
  // As Normalization.cpp: momentum in float; the mean's update in float, the variance's new term
  // in double (accscalar_t) and its old term in float.
  const float m = static_cast<float>(momentum), keep = 1 - m;
  for (size_t c = 0; c < s.mean.size(); ++c) {
    running_mean[c] = m * s.mean[c] + keep * running_mean[c];
    const double unbiased = s.var_sum[c] / static_cast<float>(M - 1);
    const float old = keep * running_var[c];
    running_var[c] = static_cast<float>(static_cast<double>(m) * unbiased + old);
  }
}

void scale_shift(const Statistics& s, const float* weight, const float* bias, float* alpha,
                 float* beta) {
  for (size_t c = 0; c < s.mean.size(); ++c) {
    alpha[c] = s.invstd[c] * weight[c];
    beta[c] = std::fma(-s.mean[c], alpha[c], bias[c]);
  }
}

void normalize_relu(const float* y, const float* residual, int64_t M, int64_t C, const float* alpha,
                    const float* beta, float* out) {
  at::parallel_for(0, M, kGrain, [&](int64_t b, int64_t e) {
    normalize_rows(y, residual, b, e, C, alpha, beta, out);
  });
}

void backward(const fused::BackwardArgs& p) {
  const int64_t M = p.M, C = p.C;
  DTI_CHECK(kernels_apply(C), "exact BatchNorm kernels: C = ", C, " needs a multiple of 8");
  auto sums = reduce(M, C, 2, [&](int64_t b, int64_t e, float* acc) {
    over_groups(C, [&](int64_t c0, auto g) {
      gradient_sums<decltype(g)::value>(p, b, e, c0, acc, acc + C);
    });
  });
  // LibTorch keeps Σdz and Σ(y − μ)dz in float (its buffer) and derives the rest in float.
  const float n = static_cast<float>(M);
  std::vector<float> k(C), grad_mean(C);
  for (int64_t c = 0; c < C; ++c) {
    const float sum = static_cast<float>(sums[c]), dotp = static_cast<float>(sums[C + c]);
    k[c] = dotp * p.invstd[c] * p.invstd[c] / n;
    grad_mean[c] = sum / n;
    p.grad_weight[c] = dotp * p.invstd[c];
    p.grad_bias[c] = sum;
  }
  at::parallel_for(0, M, kGrain, [&](int64_t b, int64_t e) {
    input_gradient_rows(p, b, e, k.data(), grad_mean.data(), p.dx);
  });
}

}  // namespace dti::core::exact
#undef DTI_AVX2
