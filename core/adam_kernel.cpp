#include "core/adam_kernel.h"

#include <ATen/Parallel.h>

#include <cmath>

namespace dti::core {
namespace {

// Built for AVX2 with FMA; this file compiles with -ffp-contract=off, so the three std::fma are
// the only fused operations, where LibTorch's kernels have theirs (vec::fmadd for add with
// alpha, a contracted `self + value · t1 · t2` for addcmul); every other product, quotient and
// sum is rounded on its own, as by a separate LibTorch operator.
__attribute__((target("avx2,fma"))) void update_range(float* p, const float* g, float* m, float* v,
                                                      int64_t begin, int64_t end, AdamScalars s) {
  for (int64_t i = begin; i < end; ++i) {
    const float grad = s.decay ? std::fma(p[i], s.weight_decay, g[i]) : g[i];
    const float mi = std::fma(grad, s.one_minus_beta1, m[i] * s.beta1);  // mul_, add_(g, 1−β1)
    const float vi = std::fma(s.one_minus_beta2 * grad, grad, v[i] * s.beta2);  // addcmul_
    const float denom = std::sqrt(vi) / s.bias2_sqrt + s.eps;
    p[i] = p[i] + (s.step * mi) / denom;  // addcdiv_: self + value · t1 / t2
    m[i] = mi;
    v[i] = vi;
  }
}

}  // namespace

bool fused_adam_update(float* param, const float* grad, float* exp_avg, float* exp_avg_sq,
                       int64_t n, const AdamScalars& s) {
  static const bool has_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!has_fma) return false;
  at::parallel_for(0, n, 1 << 15, [&](int64_t begin, int64_t end) {
    update_range(param, grad, exp_avg, exp_avg_sq, begin, end, s);
  });
  return true;
}

}  // namespace dti::core
