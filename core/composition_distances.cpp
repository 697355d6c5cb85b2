// composition_distances (composition.h): the exhaustive selection's distances, for one layer over
// backgrounds in one pass per value. Built with -ffp-contract=off: each product, sum and
// difference rounded on its own, as the LibTorch operators it replaces.
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include "core/composition.h"
#include "core/occlusion.h"
#include "core/shapes.h"

namespace dti::core {
namespace {

bool all_float_cpu(std::initializer_list<const at::Tensor*> tensors) {
  for (const at::Tensor* t : tensors)
    if (!t->defined() || !t->is_cpu() || t->scalar_type() != at::kFloat) return false;
  return true;
}

// Squared error of every (background m, sprite k) composition against x: [B, M·K, C·H·W], the
// values of (compose_all(...) − x)² for one layer: the sprite term m_k·l_k, the background
// term b_m·(1 − o·m_k) (o: the layer's occlusion of the background), their sum, minus x,
// squared (LibTorch's pow(·, 2) is a product). Contiguous inputs.
at::Tensor one_layer_squared_errors(const at::Tensor& x, const at::Tensor& layers,
                                    const at::Tensor& masks, const at::Tensor& o,
                                    const at::Tensor& backgrounds) {
  const int64_t K = layers.size(1), B = layers.size(2), C = layers.size(3);
  const int64_t P = layers.size(4) * layers.size(5), M = backgrounds.size(0);
  auto out = at::empty({B, M * K, C * P}, x.options());
  const float *xp = x.data_ptr<float>(), *lp = layers.data_ptr<float>();
  const float *mp = masks.data_ptr<float>(), *op = o.data_ptr<float>();
  const float* bp = backgrounds.data_ptr<float>();
  float* outp = out.data_ptr<float>();
  at::parallel_for(0, B * M * K, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t b = i / (M * K), m = i / K % M, k = i % K;
      const float* mask = mp + (k * B + b) * P;
      const float* layer = lp + (k * B + b) * C * P;
      const float* bkg = bp + (m * B + b) * C * P;
      const float* image = xp + b * C * P;
      float* dst = outp + i * C * P;
      const float occlusion = op[b];
      for (int64_t c = 0; c < C; ++c) {
        for (int64_t p = 0; p < P; ++p) {
          const float visible = 1.0f - occlusion * mask[p];
          const float background = bkg[c * P + p] * visible;
          const float sprite = mask[p] * layer[c * P + p];
          const float d = (background + sprite) - image[c * P + p];
          dst[c * P + p] = d * d;
        }
      }
    }
  });
  return out;
}

}  // namespace

at::Tensor composition_distances(const at::Tensor& x, const at::Tensor& layers,
                                 const at::Tensor& masks, const at::Tensor& occ,
                                 const at::Tensor& backgrounds, bool pred_occlusion) {
  const bool one_pass =
      layers.dim() == 6 && layers.size(0) == 1 && backgrounds.defined() &&
      !(c10::GradMode::is_enabled() && (layers.requires_grad() || masks.requires_grad() ||
                                        backgrounds.requires_grad() || occ.requires_grad())) &&
      all_float_cpu({&x, &layers, &masks, &occ, &backgrounds});
  if (!one_pass) {
    auto all = compose_all(layers, masks, occ, backgrounds, pred_occlusion);  // [B,N,C,H,W]
    return (all - x.unsqueeze(1)).pow(2).flatten(2).mean(2);
  }
  const int64_t K = layers.size(1), B = layers.size(2), C = layers.size(3);
  const int64_t H = layers.size(4), W = layers.size(5);
  check_shape("composition_distances", "masks", masks,
              {{"L", 1}, {"K", K}, {"B", B}, {"1", 1}, {"H", H}, {"W", W}});
  check_shape("composition_distances", "occ", occ, {{"L", 1}, {"L", 1}, {"B", B}});
  check_shape("composition_distances", "backgrounds", backgrounds,
              {{"M", -1}, {"B", B}, {"C", C}, {"H", H}, {"W", W}});
  check_shape("composition_distances", "x", x, {{"B", B}, {"C", C}, {"H", H}, {"W", W}});
  // With one layer the only occlusion factor is the layer's over the background slot,
  // occlusion_with_background(occ)[1][0] (compose_all), whatever pred_occlusion says.
  const auto o = occlusion_with_background(occ)[1][0].contiguous();  // [B]
  return one_layer_squared_errors(x.contiguous(), layers.contiguous(), masks.contiguous(), o,
                                  backgrounds.contiguous())
      .mean(2);
}

}  // namespace dti::core
