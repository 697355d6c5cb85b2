// The DTI-Sprites forward pipeline: features and predicted parameters, transformed candidates,
// selection (Algorithm 1 or exhaustive), and the composition of the chosen sprites (Eq. 2, 5).
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/GradMode.h>

#include "core/composition.h"
#include "core/device_copy.h"
#include "core/greedy.h"
#include "core/model.h"
#include "core/occlusion.h"
#include "core/shapes.h"
#include "core/softclip.h"

namespace dti::core {

struct DtiSprites::Predicted {
  at::Tensor features;                       // [B,D]
  std::vector<at::Tensor> sprite_betas;      // per module: [L,K,B,P] (undefined if inactive)
  std::vector<at::Tensor> layer_betas;       // per module: [L,B,P]
  std::vector<at::Tensor> background_betas;  // per module: [M,B,P]
  at::Tensor occ;                            // [L,L,B]
  int64_t batch = 0;
};

DtiSprites::Predicted DtiSprites::predict(const at::Tensor& x, bool training) {
  Predicted pred;
  pred.batch = x.size(0);
  pred.features = encoder_->forward(x, training);  // [B,D]
  const int64_t L = options_.n_objects;
  std::vector<std::vector<at::Tensor>> per_layer;
  for (const auto& network : sprite_networks_)
    per_layer.push_back(network->predict(pred.features, epoch_));
  pred.sprite_betas.resize(sprite_networks_.front()->size());
  for (size_t m = 0; m < pred.sprite_betas.size(); ++m) {
    if (!per_layer[0][m].defined()) continue;
    std::vector<at::Tensor> layers;
    for (int64_t l = 0; l < L; ++l) layers.push_back(per_layer[static_cast<size_t>(l)][m]);
    pred.sprite_betas[m] = at::stack(layers);  // [L,K,B,P]
  }
  if (layer_network_) pred.layer_betas = layer_network_->predict(pred.features, epoch_);  // [L,B,P]
  if (background_network_)
    pred.background_betas = background_network_->predict(pred.features, epoch_);
  if (occlusion_predictor_) {
    pred.occ = occlusion_from_logits(occlusion_predictor_->forward(pred.features)[0], L);
  } else {
    pred.occ = fixed_occlusion(L, pred.batch, x.options());
  }
  return pred;
}

at::Tensor DtiSprites::sprite_stack(bool training) const {
  const bool noise = training && options_.inject_noise > 0;
  auto appearance = prototypes();  // [K,C,h,w]
  at::Tensor mask;
  if (noise) {
    // With noise injection the raw masks are transformed and clamped after the noise is added.
    mask = with_empty_sprite(mask_params_);
  } else {
    mask = masks();
  }
  std::vector<at::Tensor> parts{appearance, mask};  // [K,C,h,w], [K,1,h,w]
  if (noise) {
    // Canvas: 1 on real sprites, 0 on the empty one; it follows the sprite through the
    // transformations and carries the noise afterwards (no gridding artefacts).
    auto canvas = at::ones_like(mask);
    if (options_.add_empty_sprite) canvas[num_sprites_ - 1].zero_();
    parts.push_back(canvas);
  }
  auto stack = at::cat(parts, 1);  // [K,C+1(+1),h,w]
  return sprites_frozen() ? stack.detach() : stack;
}

at::Tensor DtiSprites::transform_items(const at::Tensor& stack, const Predicted& pred,
                                       const at::Tensor& sprite_idx, const at::Tensor& layer_idx,
                                       const at::Tensor& batch_idx, bool all) const {
  if (all && layer_network_) return transform_all_grouped(stack, pred);
  const int64_t L = options_.n_objects, K = num_sprites_, B = pred.batch;
  const int64_t N = all ? L * K * B : sprite_idx.size(0);
  at::Tensor items, item_row, layer_row;  // items [N,C',h,w]; rows into [L·K·B] and [L·B]
  if (all) {
    items = stack.unsqueeze(0)
                .unsqueeze(2)
                .expand({L, K, B, stack.size(1), stack.size(2), stack.size(3)})
                .reshape({N, stack.size(1), stack.size(2), stack.size(3)});  // [L·K·B,C',h,w]
  } else {
    items = stack.index_select(0, sprite_idx);                // [N,C',h,w]
    item_row = (layer_idx * K + sprite_idx) * B + batch_idx;  // [N]
    layer_row = layer_idx * B + batch_idx;                    // [N]
  }
  std::vector<at::Tensor> sprite_betas(pred.sprite_betas.size());
  for (size_t m = 0; m < sprite_betas.size(); ++m) {
    const auto& beta = pred.sprite_betas[m];
    if (!beta.defined()) continue;
    auto flat = beta.reshape({L * K * B, beta.size(3)});            // [L·K·B,P]
    sprite_betas[m] = all ? flat : flat.index_select(0, item_row);  // [N,P]
  }
  auto out = sprite_networks_.front()->apply(items, sprite_betas);  // [N,C',h',w']
  if (!layer_network_)
    return all ? out.view({L, K, B, out.size(1), out.size(2), out.size(3)}) : out;
  std::vector<at::Tensor> layer_betas(pred.layer_betas.size());
  for (size_t m = 0; m < layer_betas.size(); ++m) {
    const auto& beta = pred.layer_betas[m];
    if (!beta.defined()) continue;
    layer_betas[m] = beta.reshape({L * B, beta.size(2)}).index_select(0, layer_row);
  }
  return layer_network_->apply(out, layer_betas);  // [N,C',H,W]
}

at::Tensor DtiSprites::transform_all_grouped(const at::Tensor& stack, const Predicted& pred) const {
  // The K candidates of a layer share its parameters (golden README note 11): they are stacked
  // along channels so each grid is computed once and sampled for K·C' channels. The sprite
  // transformation runs on items in (l, b, k) order, so that its output is that stack already
  // (each item is transformed on its own: the order changes no value).
  const int64_t L = options_.n_objects, K = num_sprites_, B = pred.batch;
  const int64_t C1 = stack.size(1), h = stack.size(2), w = stack.size(3);
  std::vector<at::Tensor> sprite_betas(pred.sprite_betas.size());
  bool any = false;
  for (size_t m = 0; m < sprite_betas.size(); ++m) {
    const auto& beta = pred.sprite_betas[m];  // [L,K,B,P]
    if (!beta.defined()) continue;
    sprite_betas[m] = beta.permute({0, 2, 1, 3}).reshape({L * B * K, beta.size(3)});
    any = true;
  }
  at::Tensor grouped;  // [L·B,K·C',h',w']
  if (!any) {
    // No sprite transformation at work: every layer and image sees the same stack (no copy).
    grouped = stack.reshape({1, K * C1, h, w}).expand({L * B, K * C1, h, w});
  } else {
    auto items = stack.unsqueeze(0).expand({L * B, K, C1, h, w}).reshape({L * B * K, C1, h, w});
    auto out = sprite_networks_.front()->apply(items, sprite_betas);  // [L·B·K,C',h',w']
    grouped = out.reshape({L * B, K * out.size(1), out.size(2), out.size(3)});
  }
  std::vector<at::Tensor> layer_betas(pred.layer_betas.size());
  for (size_t m = 0; m < layer_betas.size(); ++m) {
    const auto& beta = pred.layer_betas[m];
    if (beta.defined()) layer_betas[m] = beta.reshape({L * B, beta.size(2)});  // [L·B,P]
  }
  auto res = layer_network_->apply_grouped(grouped, layer_betas, K);  // [L·B,K·C',H,W]
  const int64_t C2 = res.size(1) / K, H = res.size(2), W = res.size(3);
  // A [L,K,B,C',H,W] view of the [L,B,K,C',H,W] result: no copy (greedy reads strided views).
  return res.view({L, B, K, C2, H, W}).permute({0, 2, 1, 3, 4, 5});
}

at::Tensor DtiSprites::transform_backgrounds(const Predicted& pred) const {
  if (!background_params_.defined()) return {};
  const int64_t M = options_.n_backgrounds, B = pred.batch;
  auto bkgs = backgrounds();  // [M,C,H,W]
  auto items = bkgs.unsqueeze(1).expand({M, B, bkgs.size(1), bkgs.size(2), bkgs.size(3)});
  std::vector<at::Tensor> betas(pred.background_betas.size());
  bool any = false;
  for (size_t m = 0; m < betas.size(); ++m) {
    const auto& beta = pred.background_betas[m];
    if (!beta.defined()) continue;
    betas[m] = beta.reshape({M * B, beta.size(2)});  // [M·B,P]
    any = true;
  }
  if (!any) return items;  // [M,B,C,H,W]
  auto out = background_network_->apply(
      items.reshape({M * B, bkgs.size(1), bkgs.size(2), bkgs.size(3)}), betas);
  return out.view({M, B, out.size(1), out.size(2), out.size(3)});  // [M,B,C,H,W]
}

at::Tensor DtiSprites::draw_noise() {
  // One uniform map per sprite, shared by all layers and images (golden README note 9), drawn
  // on the CPU generator so that runs are reproducible and resumable on any device; on a GPU the
  // copy is queued without waiting for the device (device_copy.h).
  const int64_t H = options_.image_size[0], W = options_.image_size[1];
  auto u = host_to_device(at::rand({num_sprites_, 1, H, W}, generator_, at::kFloat), device_);
  const double a = options_.inject_noise;
  return 2 * a * u - a;  // [K,1,H,W] in [−a, a)
}

void DtiSprites::split_and_noise(const at::Tensor& items, const at::Tensor& noise_rows,
                                 at::Tensor* layers, at::Tensor* masks) const {
  // split() has one backward for all pieces (narrow() would zero-fill a full-size gradient each).
  // items is [N,C',H,W] or [L,K,B,C',H,W]; noise_rows broadcasts against one channel of it.
  const int64_t C = options_.channels, dim = items.dim() - 3;
  std::vector<int64_t> sizes{C, 1};
  if (items.size(dim) > C + 1) sizes.push_back(items.size(dim) - C - 1);
  auto parts = items.split_with_sizes(sizes, dim);  // appearance, mask(, canvas)
  *layers = parts[0];
  *masks = noise_rows.defined() ? softclip_add_mul(parts[1], parts[2], noise_rows) : parts[1];
}

DtiSprites::Selection DtiSprites::select(const at::Tensor& x, const at::Tensor& layers,
                                         const at::Tensor& masks, const at::Tensor& backgrounds,
                                         const at::Tensor& occ) const {
  c10::NoGradGuard no_grad;
  const int64_t L = options_.n_objects, K = num_sprites_, B = x.size(0);
  Selection sel;
  if (options_.estimate_minimum) {
    GreedyOptions greedy;
    greedy.iterations = options_.greedy_algo_iter;
    greedy.lambda_empty = options_.lambda_empty_sprite;
    greedy.has_empty_sprite = options_.add_empty_sprite;
    greedy.sprites_frozen = sprites_frozen();
    auto result = greedy_select(x, layers, masks,
                                backgrounds.defined() ? backgrounds[0] : at::Tensor(), occ, greedy);
    sel.sprites = result.selection;
    sel.background = at::zeros({B}, x.options().dtype(at::kLong));
    sel.distance = result.distance;
    return sel;
  }
  // Exhaustive: every combination n = m·K^L + Σ_l k_l·K^(L−1−l); no λ (reference).
  auto dist = composition_distances(x, layers, masks, occ, backgrounds,
                                    options_.pred_occlusion);  // [B,N]
  auto best = dist.min(1);
  sel.distance = std::get<0>(best);
  auto n = std::get<1>(best);  // [B]
  int64_t span = 1;
  for (int64_t l = 0; l < L; ++l) span *= K;
  sel.background = at::div(n, span, "floor");
  std::vector<at::Tensor> ks;
  auto rest = at::remainder(n, span);
  for (int64_t l = 0; l < L; ++l) {
    span /= K;
    ks.push_back(at::div(rest, span, "floor"));
    rest = at::remainder(rest, span);
  }
  sel.sprites = at::stack(ks);  // [L,B]
  return sel;
}

at::Tensor DtiSprites::compose_chosen(const at::Tensor& layers, const at::Tensor& masks,
                                      const at::Tensor& background, const at::Tensor& occ) const {
  if (!background.defined()) return layered_composition(layers, masks, occ);
  const int64_t B = layers.size(1), H = layers.size(3), W = layers.size(4);
  auto all_layers = at::cat({background.unsqueeze(0), layers});                   // [L+1,B,C,H,W]
  auto all_masks = at::cat({at::ones({1, B, 1, H, W}, masks.options()), masks});  // [L+1,B,1,H,W]
  return layered_composition(all_layers, all_masks, occlusion_with_background(occ));  // [B,C,H,W]
}

struct DtiSprites::Pass {
  Predicted pred;    // features, predicted parameters, occlusion
  at::Tensor stack;  // [K,C',h,w] sprites (appearance, mask, canvas)
  at::Tensor noise;  // [K,1,H,W] (training with noise injection) or undefined
  at::Tensor bkgs;   // [M,B,C,H,W] transformed backgrounds or undefined
};

DtiSprites::Pass DtiSprites::begin_pass(const at::Tensor& x, bool training, const char* where) {
  check_shape(where, "x", x,
              {{"B", -1},
               {"C", options_.channels},
               {"H", options_.image_size[0]},
               {"W", options_.image_size[1]}});
  Pass pass;
  pass.pred = predict(x, training);
  pass.stack = sprite_stack(training);
  if (training && options_.inject_noise > 0) pass.noise = draw_noise();
  pass.bkgs = transform_backgrounds(pass.pred);
  return pass;
}

void DtiSprites::all_candidates(const Pass& pass, at::Tensor* layers, at::Tensor* masks) const {
  const int64_t H = options_.image_size[0], W = options_.image_size[1];
  auto items = transform_items(pass.stack, pass.pred, {}, {}, {}, /*all=*/true);  // [L,K,B,C',H,W]
  at::Tensor rows =
      pass.noise.defined() ? pass.noise.view({1, num_sprites_, 1, 1, H, W}) : at::Tensor();
  split_and_noise(items, rows, layers, masks);  // [L,K,B,C,H,W], [L,K,B,1,H,W]
}

TrainOutput DtiSprites::forward_train(const at::Tensor& x) {
  const int64_t L = options_.n_objects, B = x.size(0);
  const int64_t C = options_.channels, H = options_.image_size[0], W = options_.image_size[1];
  auto pass = begin_pass(x, /*training=*/true, "forward_train");
  const auto& pred = pass.pred;
  const auto& bkgs = pass.bkgs;
  const auto& noise = pass.noise;

  Selection sel;
  {
    // Pass 1, no gradient: every candidate, then the selection.
    c10::NoGradGuard no_grad;
    at::Tensor layers, masks;
    all_candidates(pass, &layers, &masks);
    sel = select(x, layers, masks, bkgs, pred.occ);
  }

  // Pass 2, with gradient: only the chosen sprites (the others would get zero gradient).
  const auto long_opts = x.options().dtype(at::kLong);
  auto layer_idx = at::arange(L, long_opts).repeat_interleave(B);  // [L·B]
  auto batch_idx = at::arange(B, long_opts).repeat({L});           // [L·B]
  auto sprite_idx = sel.sprites.flatten();                         // [L·B]
  auto items = transform_items(pass.stack, pred, sprite_idx, layer_idx, batch_idx, /*all=*/false);
  at::Tensor layers, masks;
  split_and_noise(items, noise.defined() ? noise.index_select(0, sprite_idx) : at::Tensor(),
                  &layers, &masks);
  at::Tensor background;
  if (bkgs.defined())
    background = bkgs.index({sel.background, at::arange(B, long_opts)});  // [B,C,H,W]
  auto recon = compose_chosen(layers.view({L, B, C, H, W}), masks.view({L, B, 1, H, W}), background,
                              pred.occ);

  TrainOutput out;
  auto err = (recon - x).pow(2);
  out.loss = err.mean();
  out.distance = err.detach().flatten(1).mean(1);
  out.selection = sel.sprites;
  out.background = sel.background;
  return out;
}

TrainOutput DtiSprites::forward_train_reference(const at::Tensor& x) {
  const int64_t L = options_.n_objects, K = num_sprites_, B = x.size(0);
  auto pass = begin_pass(x, /*training=*/true, "forward_train_reference");
  const auto& pred = pass.pred;
  const auto& bkgs = pass.bkgs;
  at::Tensor layers, masks;
  all_candidates(pass, &layers, &masks);  // with gradient, as the reference
  auto sel = select(x, layers, masks, bkgs, pred.occ);
  TrainOutput out;
  out.selection = sel.sprites;
  out.background = sel.background;
  if (options_.estimate_minimum) {
    auto resps = at::zeros({L, K, B}, x.options()).scatter_(1, sel.sprites.unsqueeze(1), 1);
    auto recon =
        compose_weighted(layers, masks, pred.occ, resps, bkgs.defined() ? bkgs[0] : at::Tensor());
    auto err = (recon - x).pow(2);
    out.loss = err.mean();
    out.distance = err.detach().flatten(1).mean(1);
  } else {
    auto all = compose_all(layers, masks, pred.occ, bkgs, options_.pred_occlusion);  // [B,N,C,H,W]
    auto dist = (all - x.unsqueeze(1)).pow(2).flatten(2).mean(2);                    // [B,N]
    auto best = std::get<0>(dist.min(1));
    out.loss = best.mean();
    out.distance = best.detach();
  }
  return out;
}

at::Tensor DtiSprites::layer_error_map(const at::Tensor& x, const at::Tensor& all_layers,
                                       const at::Tensor& chosen_layers) const {
  if (options_.estimate_minimum) {
    // Greedy: the authors weight the layers by the one-hot selection, i.e. the chosen sprite.
    return (chosen_layers - x.unsqueeze(0)).pow(2).sum(2);  // [L,B,H,W]
  }
  // Exhaustive: the authors' evaluation takes, per layer and pixel, the minimum error over all K
  // sprites (`((tsf_layers - images)**2).sum(3).min(1)[0]`) before choosing the layer.
  return std::get<0>((all_layers - x.unsqueeze(0).unsqueeze(0)).pow(2).sum(3).min(1));
}

Decomposition DtiSprites::decompose(const at::Tensor& x) {
  c10::NoGradGuard no_grad;
  const int64_t L = options_.n_objects, B = x.size(0);
  auto pass = begin_pass(x, /*training=*/false, "decompose");
  const auto& pred = pass.pred;
  const auto& bkgs = pass.bkgs;
  at::Tensor layers, masks;
  all_candidates(pass, &layers, &masks);
  auto sel = select(x, layers, masks, bkgs, pred.occ);

  const auto long_opts = x.options().dtype(at::kLong);
  auto layer_idx = at::arange(L, long_opts).unsqueeze(1).expand({L, B});
  auto batch_idx = at::arange(B, long_opts).unsqueeze(0).expand({L, B});
  Decomposition d;
  d.selection = sel.sprites;
  d.background = sel.background;
  d.layers = layers.index({layer_idx, sel.sprites, batch_idx});  // [L,B,C,H,W]
  d.masks = masks.index({layer_idx, sel.sprites, batch_idx});    // [L,B,1,H,W]
  if (bkgs.defined()) d.backgrounds = bkgs.index({sel.background, at::arange(B, long_opts)});
  d.occlusion = pred.occ;
  d.distance = sel.distance;
  d.layer_error = layer_error_map(x, layers, d.layers);
  d.reconstruction = compose_chosen(
      d.layers.clamp(0, 1), d.masks.clamp(0, 1),
      d.backgrounds.defined() ? d.backgrounds.clamp(0, 1) : at::Tensor(), d.occlusion);
  return d;
}

at::Tensor DtiSprites::semantic_labels(const Decomposition& d) const {
  c10::NoGradGuard no_grad;
  const int64_t L = d.masks.size(0), B = d.masks.size(1);
  auto labels = (d.selection + 1).to(at::kFloat).view({L, B, 1, 1, 1}).expand_as(d.masks);
  auto hard_masks = (d.masks > 0.5).to(at::kFloat);
  auto out = layered_composition(labels, hard_masks, binarize_occlusion(d.occlusion));  // [B,1,H,W]
  return out.squeeze(1).clamp(0, num_sprites_).round().to(at::kLong);
}

at::Tensor DtiSprites::instance_labels(const Decomposition& d, const at::Tensor& x,
                                       bool reassign_background) const {
  c10::NoGradGuard no_grad;
  const int64_t L = d.masks.size(0);
  auto ids = at::arange(1, L + 1, d.masks.options()).view({L, 1, 1, 1, 1}).expand_as(d.masks);
  auto hard_masks = (d.masks > 0.5).to(at::kFloat);
  auto out = layered_composition(ids, hard_masks, binarize_occlusion(d.occlusion));
  auto labels = out.squeeze(1).clamp(0, L).round().to(at::kLong);  // [B,H,W]
  if (!reassign_background) return labels;
  // ARI-FG protocol: background pixels go to the layer whose appearance is closest to the image.
  auto error = d.layer_error.defined() ? d.layer_error : (d.layers - x.unsqueeze(0)).pow(2).sum(2);
  auto closest = error.argmin(0) + 1;  // [B,H,W]
  return at::where(labels == 0, closest, labels);
}

}  // namespace dti::core
