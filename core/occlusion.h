#pragma once
// Occlusion matrices (docs/model.md#occlusion). occ[j][l][b] = how much layer j covers layer l.

#include <ATen/ATen.h>

namespace dti::core {

/// Fixed depth order: occ[j][l] = 1 iff j > l (later layers in front). Returns [L,L,B].
at::Tensor fixed_occlusion(int64_t L, int64_t B, const at::TensorOptions& options = {});

/// Predicted occlusion from logits [B, L(L−1)/2]: sigmoids fill the strictly lower-triangular
/// entries in row-major order ((1,0), (2,0), (2,1), ...), occ[j][i] = 1 − occ[i][j], zero
/// diagonal. Differentiable. Returns [L,L,B].
at::Tensor occlusion_from_logits(const at::Tensor& logits, int64_t L);

/// Adds the background as slot 0: covered by every layer with weight 1, covering nothing.
/// occ [L,L,B] -> [L+1,L+1,B].
at::Tensor occlusion_with_background(const at::Tensor& occ);

/// Hard occlusion used for labels: occ > 0.5 as float. [L,L,B] -> [L,L,B].
at::Tensor binarize_occlusion(const at::Tensor& occ);

}  // namespace dti::core
