#include "core/composition.h"

#include <vector>

#include "core/occlusion.h"
#include "core/shapes.h"

namespace dti::core {

at::Tensor layered_composition(const at::Tensor& layers, const at::Tensor& masks,
                               const at::Tensor& occ) {
  check_shape("layered_composition", "layers", layers,
              {{"L", -1}, {"B", -1}, {"C", -1}, {"H", -1}, {"W", -1}});
  const int64_t L = layers.size(0), B = layers.size(1), H = layers.size(3), W = layers.size(4);
  check_shape("layered_composition", "masks", masks,
              {{"L", L}, {"B", B}, {"1", 1}, {"H", H}, {"W", W}});
  check_shape("layered_composition", "occ", occ, {{"L", L}, {"L", L}, {"B", B}});
  // visible[l] = Π_j (1 − occ[j,l]·m_j) (Eq. 2), multiplied out one j at a time: the backward
  // of a chain of products is cheap, while prod()'s backward takes a slow path whenever a
  // factor is exactly 0 (opaque masks fully covered, which is the common case).
  // unbind() rather than indexing: its backward stacks the pieces' gradients once instead of
  // zero-filling a full-size gradient per index.
  const auto o = occ.reshape({L, L, B, 1, 1, 1}).unbind(0);  // L × [L(l),B,1,1,1]
  const auto m = masks.unbind(0);                            // L × [B,1,H,W]
  at::Tensor visible;
  for (int64_t j = 0; j < L; ++j) {
    auto factor = 1 - o[j] * m[j];  // [L,B,1,H,W]
    visible = visible.defined() ? visible * factor : factor;
  }
  return (visible * masks * layers).sum(0);  // [B,C,H,W]
}

at::Tensor compose_weighted(const at::Tensor& layers, const at::Tensor& masks,
                            const at::Tensor& occ, const at::Tensor& class_prob,
                            const at::Tensor& background) {
  check_shape("compose_weighted", "layers", layers,
              {{"L", -1}, {"K", -1}, {"B", -1}, {"C", -1}, {"H", -1}, {"W", -1}});
  const int64_t L = layers.size(0), K = layers.size(1), B = layers.size(2);
  const int64_t C = layers.size(3), H = layers.size(4), W = layers.size(5);
  check_shape("compose_weighted", "masks", masks,
              {{"L", L}, {"K", K}, {"B", B}, {"1", 1}, {"H", H}, {"W", W}});
  check_shape("compose_weighted", "class_prob", class_prob, {{"L", L}, {"K", K}, {"B", B}});
  auto w = class_prob.reshape({L, K, B, 1, 1, 1});
  auto chosen_layers = (layers * w).sum(1);  // [L,B,C,H,W]
  auto chosen_masks = (masks * w).sum(1);    // [L,B,1,H,W]
  if (!background.defined()) return layered_composition(chosen_layers, chosen_masks, occ);
  check_shape("compose_weighted", "background", background,
              {{"B", B}, {"C", C}, {"H", H}, {"W", W}});
  auto all_layers = at::cat({background.unsqueeze(0), chosen_layers});  // [L+1,B,C,H,W]
  auto all_masks =
      at::cat({at::ones({1, B, 1, H, W}, masks.options()), chosen_masks});  // [L+1,B,1,H,W]
  return layered_composition(all_layers, all_masks, occlusion_with_background(occ));
}

at::Tensor compose_all(const at::Tensor& layers, const at::Tensor& masks, const at::Tensor& occ,
                       const at::Tensor& backgrounds, bool pred_occlusion) {
  check_shape("compose_all", "layers", layers,
              {{"L", -1}, {"K", -1}, {"B", -1}, {"C", -1}, {"H", -1}, {"W", -1}});
  const int64_t L = layers.size(0), K = layers.size(1), B = layers.size(2);
  const int64_t C = layers.size(3), H = layers.size(4), W = layers.size(5);
  check_shape("compose_all", "masks", masks,
              {{"L", L}, {"K", K}, {"B", B}, {"1", 1}, {"H", H}, {"W", W}});
  check_shape("compose_all", "occ", occ, {{"L", L}, {"L", L}, {"B", B}});
  const bool has_bkg = backgrounds.defined();
  const int64_t M = has_bkg ? backgrounds.size(0) : 1;
  if (has_bkg) {
    check_shape("compose_all", "backgrounds", backgrounds,
                {{"M", -1}, {"B", B}, {"C", C}, {"H", H}, {"W", W}});
  }

  // Slot tensors broadcast over the combination axes [M, K_1, ..., K_L] followed by B,C,H,W.
  std::vector<int64_t> comb_shape(static_cast<size_t>(L + 1), 1);
  auto slot_view = [&](const at::Tensor& t, int64_t axis, int64_t n) {  // t [n,B,c,H,W]
    std::vector<int64_t> shape = comb_shape;
    shape[static_cast<size_t>(axis)] = n;
    for (int64_t i = 1; i < t.dim(); ++i) shape.push_back(t.size(i));
    return t.reshape(shape);
  };
  std::vector<at::Tensor> slot_layers, slot_masks;
  if (has_bkg) {
    slot_layers.push_back(slot_view(backgrounds, 0, M));
    slot_masks.push_back(at::ones({1}, masks.options()));
  }
  for (int64_t l = 0; l < L; ++l) {
    slot_layers.push_back(slot_view(layers[l], l + 1, K));
    slot_masks.push_back(slot_view(masks[l], l + 1, K));
  }
  auto occ_ext = has_bkg ? occlusion_with_background(occ) : occ;  // [S,S,B]
  const int64_t S = static_cast<int64_t>(slot_layers.size());
  const int64_t first_object = has_bkg ? 1 : 0;

  std::vector<int64_t> out_shape = comb_shape;
  out_shape[0] = M;
  for (int64_t l = 0; l < L; ++l) out_shape[static_cast<size_t>(l + 1)] = K;
  at::Tensor result;
  for (int64_t i = 0; i < S; ++i) {
    at::Tensor term = slot_masks[i] * slot_layers[i];
    const int64_t j_start = pred_occlusion ? first_object : i + 1;
    for (int64_t j = j_start; j < S; ++j) {
      if (j == i) continue;
      auto o = occ_ext[j][i].reshape({B, 1, 1, 1});  // [B,1,1,1] broadcast over C,H,W
      term = term * (1 - o * slot_masks[j]);
    }
    result = result.defined() ? result + term : term;
  }
  int64_t n_combinations = M;
  for (int64_t l = 0; l < L; ++l) n_combinations *= K;
  std::vector<int64_t> full = out_shape;
  for (int64_t d : {B, C, H, W}) full.push_back(d);
  result = result.expand(full).reshape({n_combinations, B, C, H, W});
  return result.transpose(0, 1);  // [B, M·K^L, C, H, W]
}

}  // namespace dti::core
