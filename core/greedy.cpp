#include "core/greedy.h"

#include <vector>

#include "core/occlusion.h"
#include "core/shapes.h"

namespace dti::core {

GreedyResult greedy_select(const at::Tensor& x, const at::Tensor& layers, const at::Tensor& masks,
                           const at::Tensor& background, const at::Tensor& occ,
                           const GreedyOptions& options, at::Tensor* debug_distances) {
  at::NoGradGuard no_grad;
  check_shape("greedy_select", "layers", layers,
              {{"L", -1}, {"K", -1}, {"B", -1}, {"C", -1}, {"H", -1}, {"W", -1}});
  const int64_t L = layers.size(0), K = layers.size(1), B = layers.size(2);
  const int64_t C = layers.size(3), H = layers.size(4), W = layers.size(5);
  check_shape("greedy_select", "x", x, {{"B", B}, {"C", C}, {"H", H}, {"W", W}});
  check_shape("greedy_select", "masks", masks, {{"L", L}, {"K", K}, {"B", B}, {"1", 1}, {"H", H}, {"W", W}});
  check_shape("greedy_select", "occ", occ, {{"L", L}, {"L", L}, {"B", B}});
  DTI_CHECK(options.iterations >= 1, "greedy_select: iterations must be >= 1, got ", options.iterations);
  DTI_CHECK(!options.has_empty_sprite || K >= 2,
            "greedy_select: an empty sprite needs K >= 2 sprites, got K=", K);

  // While frozen, the empty sprite (last) is not a candidate (reference behaviour).
  const bool drop_empty = options.has_empty_sprite && options.sprites_frozen;
  const int64_t n_cand = drop_empty ? K - 1 : K;
  const bool use_lambda = options.has_empty_sprite && !options.sprites_frozen;
  at::Tensor penalty;  // [n_cand,1]
  if (use_lambda) {
    penalty = at::full({n_cand, 1}, options.lambda_empty, x.options());
    penalty[n_cand - 1].fill_(0);
  }

  // Slot 0 = background (mask 1), slots 1..L start empty (mask 0).
  const int64_t S = L + 1;
  auto cur_layers = at::zeros({S, B, C, H, W}, x.options());
  auto cur_masks = at::zeros({S, B, 1, H, W}, x.options());
  if (background.defined()) {
    check_shape("greedy_select", "background", background, {{"B", B}, {"C", C}, {"H", H}, {"W", W}});
    cur_layers[0].copy_(background);
  }
  cur_masks[0].fill_(1);
  const auto occ_ext = occlusion_with_background(occ).contiguous();  // [S,S,B]
  const auto o6 = occ_ext.reshape({S, S, B, 1, 1, 1});

  auto selection = at::zeros({L, B}, x.options().dtype(at::kLong));
  auto last_distance = at::zeros({B}, x.options());
  std::vector<at::Tensor> debug;
  const auto batch_index = at::arange(B, x.options().dtype(at::kLong));

  for (int64_t t = 0; t < options.iterations; ++t) {
    for (int64_t l = 1; l <= L; ++l) {
      // visible[i] = Π_{j≠l} (1 − occ[j,i]·m_j): coverage of slot i by every slot but l.
      auto cover = 1 - o6 * cur_masks.unsqueeze(1);            // [S(j),S(i),B,1,H,W]
      cover.select(0, l).fill_(1);
      auto visible = cover.prod(0);                            // [S,B,1,H,W]
      auto terms = cur_masks * cur_layers * visible;           // [S,B,C,H,W]
      terms.select(0, l).zero_();
      auto s0 = terms.sum(0);                                  // [B,C,H,W]
      auto s1 = (occ_ext[l].reshape({S, B, 1, 1, 1}) * terms).sum(0);  // [B,C,H,W]
      auto p_l = visible[l];                                   // [B,1,H,W]
      auto o_ll = occ_ext[l][l].reshape({B, 1, 1, 1});         // [B,1,1,1]

      auto cand_layers = layers[l - 1].narrow(0, 0, n_cand);   // [n,B,C,H,W]
      auto cand_masks = masks[l - 1].narrow(0, 0, n_cand);     // [n,B,1,H,W]
      auto inner = cand_layers * (p_l * (1 - o_ll * cand_masks)) - s1;  // [n,B,C,H,W]
      auto err = (x - s0) - cand_masks * inner;                          // [n,B,C,H,W]
      auto dist = err.pow(2).flatten(2).mean(2);                        // [n,B]
      auto scored = use_lambda ? dist + penalty : dist;
      if (debug_distances != nullptr) debug.push_back(scored);
      auto choice = scored.argmin(0);                                   // [B]
      selection[l - 1].copy_(choice);
      cur_layers[l].copy_(cand_layers.index({choice, batch_index}));
      cur_masks[l].copy_(cand_masks.index({choice, batch_index}));
      last_distance = dist.gather(0, choice.unsqueeze(0)).squeeze(0);
    }
  }

  GreedyResult result;
  result.selection = selection;
  result.resps = at::zeros({L, K, B}, x.options()).scatter_(1, selection.unsqueeze(1), 1);
  result.distance = last_distance;
  if (debug_distances != nullptr) {
    *debug_distances = at::stack(debug).reshape({options.iterations, L, n_cand, B});
  }
  return result;
}

}  // namespace dti::core
