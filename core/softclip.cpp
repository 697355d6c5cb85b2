#include "core/softclip.h"

#include <ATen/ExpandUtils.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include <algorithm>
#include <vector>

namespace dti::core {
namespace {

// One element of softclip(a + b·c), rounded as LibTorch's operators round it: the product, the
// sum, then clamp, alpha·min(v,0) and alpha·max(v−1,0) each in float32, summed left to right.
// No FMA (this file builds without -mfma and with -ffp-contract=off), as each operator
// rounds on its own. NaN stays NaN as in LibTorch's clamp.
inline float softclip_one(float a, float b, float c, float alpha) {
  const float v = a + b * c;
  const float inside = std::min(std::max(v, 0.0f), 1.0f);
  const float below = alpha * std::min(v, 0.0f);
  const float above = alpha * std::max(v - 1.0f, 0.0f);
  return (inside + below) + above;
}

// One H·W plane; each input is a plane (step 1) or one value for the whole plane (step 0).
__attribute__((target_clones("avx2", "default"))) void plane_kernel(float* out, const float* a,
                                                                    const float* b, const float* c,
                                                                    int64_t sa, int64_t sb,
                                                                    int64_t sc, int64_t n,
                                                                    float alpha) {
  if (sa == 1 && sb == 1 && sc == 1) {
    for (int64_t i = 0; i < n; ++i) out[i] = softclip_one(a[i], b[i], c[i], alpha);
  } else if (sa == 0 && sb == 0 && sc == 1) {
    const float av = *a, bv = *b;
    for (int64_t i = 0; i < n; ++i) out[i] = softclip_one(av, bv, c[i], alpha);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = softclip_one(a[i * sa], b[i * sb], c[i * sc], alpha);
  }
}

// Step of t (already expanded to the output's shape) within a plane: 1 if its last two
// dimensions are a contiguous plane, 0 if they are one broadcast value, -1 otherwise.
int64_t plane_step(const at::Tensor& t) {
  const int64_t d = t.dim();
  if (t.stride(d - 1) == 1 && t.stride(d - 2) == t.size(d - 1)) return 1;
  if (t.stride(d - 1) == 0 && t.stride(d - 2) == 0) return 0;
  return -1;
}

// CPU float32 with no gradient to record (grad mode off, or no input needing one).
bool fusable(const at::Tensor& a, const at::Tensor& b, const at::Tensor& c) {
  const bool recording = c10::GradMode::is_enabled();
  for (const auto* t : {&a, &b, &c}) {
    if (!t->is_cpu() || t->scalar_type() != at::kFloat) return false;
    if (recording && t->requires_grad()) return false;
  }
  return true;
}

// The offset of plane p (row-major over the dimensions before the last two) in t.
int64_t plane_offset(const at::Tensor& t, int64_t p) {
  int64_t offset = 0;
  for (int64_t d = t.dim() - 3; d >= 0; --d) {
    offset += (p % t.size(d)) * t.stride(d);
    p /= t.size(d);
  }
  return offset;
}

}  // namespace

at::Tensor softclip(const at::Tensor& x, double alpha) {
  // Written with clamp_max/clamp_min so the gradient is exactly 1 inside (0,1) and alpha outside,
  // as the reference's torch.min/torch.max formulation gives.
  return x.clamp(0, 1) + alpha * x.clamp_max(0) + alpha * (x - 1).clamp_min(0);
}

at::Tensor softclip_add_mul(const at::Tensor& a, const at::Tensor& b, const at::Tensor& c,
                            double alpha) {
  if (!fusable(a, b, c)) return softclip(a + b * c, alpha);
  const auto shape = at::infer_size(a.sizes(), at::infer_size(b.sizes(), c.sizes()));
  if (shape.size() < 2) return softclip(a + b * c, alpha);
  const std::vector<at::Tensor> in{a.expand(shape), b.expand(shape), c.expand(shape)};
  std::vector<int64_t> steps;
  for (const auto& t : in) steps.push_back(plane_step(t));
  if (std::count(steps.begin(), steps.end(), -1) > 0) return softclip(a + b * c, alpha);
  auto out = at::empty(shape, a.options());
  const int64_t HW = shape[shape.size() - 1] * shape[shape.size() - 2];
  const int64_t planes = HW == 0 ? 0 : out.numel() / HW;
  float* op = out.data_ptr<float>();
  const float al = static_cast<float>(alpha);  // LibTorch multiplies float32 by the float scalar
  at::parallel_for(0, planes, std::max<int64_t>(1, 32768 / std::max<int64_t>(HW, 1)),
                   [&](int64_t begin, int64_t end) {
                     for (int64_t p = begin; p < end; ++p) {
                       plane_kernel(op + p * HW, in[0].data_ptr<float>() + plane_offset(in[0], p),
                                    in[1].data_ptr<float>() + plane_offset(in[1], p),
                                    in[2].data_ptr<float>() + plane_offset(in[2], p), steps[0],
                                    steps[1], steps[2], HW, al);
                     }
                   });
  return out;
}

}  // namespace dti::core
