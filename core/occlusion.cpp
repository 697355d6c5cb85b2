#include "core/occlusion.h"

#include "core/shapes.h"

namespace dti::core {

at::Tensor fixed_occlusion(int64_t L, int64_t B, const at::TensorOptions& options) {
  auto tril = at::tril(at::ones({L, L}, options.dtype(at::kFloat)), -1);  // [L,L]
  return tril.unsqueeze(2).expand({L, L, B}).contiguous();                // [L,L,B]
}

at::Tensor occlusion_from_logits(const at::Tensor& logits, int64_t L) {
  check_shape("occlusion_from_logits", "logits", logits,
              {{"B", -1}, {"L(L-1)/2", L * (L - 1) / 2}});
  const int64_t B = logits.size(0);
  auto probs = at::sigmoid(logits);                                          // [B,P]
  auto idx = at::tril_indices(L, L, -1, logits.options().dtype(at::kLong));  // [2,P] row-major
  auto flat_idx = (idx[0] * L + idx[1]);                                     // [P]
  auto lower = at::zeros({B, L * L}, logits.options()).index_copy(1, flat_idx, probs);
  lower = lower.view({B, L, L});                               // [B,L,L]
  auto grid = lower + at::triu(1 - lower.transpose(1, 2), 1);  // [B,L,L]
  return grid.permute({1, 2, 0});                              // [L,L,B]
}

at::Tensor occlusion_with_background(const at::Tensor& occ) {
  check_shape("occlusion_with_background", "occ", occ, {{"L", -1}, {"L", occ.size(0)}, {"B", -1}});
  const int64_t L = occ.size(0), B = occ.size(2);
  // Built with cat so that gradients reach predicted occlusions.
  auto ones_col = at::ones({L, 1, B}, occ.options());
  auto rows = at::cat({ones_col, occ}, 1);  // [L,L+1,B]
  auto top = at::zeros({1, L + 1, B}, occ.options());
  return at::cat({top, rows}, 0);  // [L+1,L+1,B]
}

at::Tensor binarize_occlusion(const at::Tensor& occ) { return (occ > 0.5).to(occ.scalar_type()); }

}  // namespace dti::core
