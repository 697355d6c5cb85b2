#pragma once
// Image formation (paper Eq. 2) as pure functions over tensors.
// Legend: L layers, K sprites, M backgrounds, B batch, C channels, H×W image.

#include <ATen/ATen.h>

namespace dti::core {

/// Reference `layered_composition`: out = Σ_l m_l·c_l·Π_j (1 − occ[j,l]·m_j), the product running
/// over all j including j = l (harmless when the diagonal of occ is 0, as in the model).
/// layers [L,B,C,H,W], masks [L,B,1,H,W], occ [L,L,B] -> [B,C,H,W]. Differentiable.
at::Tensor layered_composition(const at::Tensor& layers, const at::Tensor& masks,
                               const at::Tensor& occ);

/// Composition of one (soft or one-hot) choice per layer: each layer's appearance and mask are
/// the class_prob-weighted sums over K, the optional `background` [B,C,H,W] goes behind all
/// layers with mask 1. layers [L,K,B,C,H,W], masks [L,K,B,1,H,W], occ [L,L,B],
/// class_prob [L,K,B] -> [B,C,H,W].
at::Tensor compose_weighted(const at::Tensor& layers, const at::Tensor& masks,
                            const at::Tensor& occ, const at::Tensor& class_prob,
                            const at::Tensor& background = {});

/// Every combination of one sprite per layer (and one background): out [B, M'·K^L, C, H, W] with
/// M' = max(M,1) and combination n = m·K^L + Σ_l k_l·K^(L−1−l). Term i (background first, then
/// layers) is covered by the slots J(i): j > i with the stored occ values when `pred_occlusion`
/// is false, all other object slots when it is true (no self term, as in the reference).
/// layers [L,K,B,C,H,W], masks [L,K,B,1,H,W], occ [L,L,B], backgrounds [M,B,C,H,W] or undefined.
at::Tensor compose_all(const at::Tensor& layers, const at::Tensor& masks, const at::Tensor& occ,
                       const at::Tensor& backgrounds, bool pred_occlusion);

/// The exhaustive selection's distances: mean over C,H,W of (compose_all(...) − x)², x
/// [B,C,H,W] -> [B, M·K^L]. Without gradient, on the CPU in float32 with one layer and
/// backgrounds, the squared errors come from one pass per value (the same float operations,
/// bit for bit; GTSRB-8's selection) and LibTorch's mean; otherwise from those operators.
at::Tensor composition_distances(const at::Tensor& x, const at::Tensor& layers,
                                 const at::Tensor& masks, const at::Tensor& occ,
                                 const at::Tensor& backgrounds, bool pred_occlusion);

}  // namespace dti::core
