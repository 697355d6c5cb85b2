#include "experiments/run/scorers.h"

#include <algorithm>

#include "base/error.h"
#include "metrics/clustering.h"

namespace dti::experiments {
namespace {

std::string shape_of(const at::Tensor& t) {
  std::string s = "[";
  for (int64_t d = 0; d < t.dim(); ++d) s += (d ? "," : "") + std::to_string(t.size(d));
  return s + "]";
}

// [B,H,W] (or [B,1,H,W]) label map checked for its batch and pixel count, as CPU int64 values.
at::Tensor as_map(const at::Tensor& t, const char* name, int64_t batch, int64_t pixels) {
  DTI_CHECK(t.defined(), name, " is missing");
  const bool squeezable = t.dim() == 4 && t.size(1) == 1;
  DTI_CHECK((t.dim() == 3 || squeezable) && t.size(0) == batch && t.numel() == batch * pixels, name,
            " expected [B=", batch, ",H,W] with H*W = ", pixels, ", got ", shape_of(t));
  return t.to(at::kCPU, at::kLong).contiguous();
}

std::vector<int64_t> to_vector(const at::Tensor& t) {
  auto c = t.to(at::kCPU, at::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

}  // namespace

at::Tensor semantic_classes(const at::Tensor& pred_semantic, int64_t n_sprites) {
  auto ids = pred_semantic.to(at::kLong);
  return at::where((ids < 0).logical_or(ids > n_sprites), at::zeros_like(ids), ids);
}

InstanceScorer::InstanceScorer(const InstanceLabelRanges& ranges)
    : ranges_(ranges), ari_(std::max(ranges.n_layers, ranges.max_objects) + 1) {
  DTI_CHECK(ranges.n_layers >= 1 && ranges.max_objects >= 0 && ranges.n_sprites >= 1 &&
                ranges.n_classes >= 0,
            "instance scoring expected n_layers >= 1, max_objects >= 0, n_sprites >= 1 and "
            "n_classes >= 0, got ",
            ranges.n_layers, ", ", ranges.max_objects, ", ", ranges.n_sprites, " and ",
            ranges.n_classes);
  // Predicted ids name sprites, true ids classes: one matrix large enough for both.
  if (ranges.n_classes > 0) {
    semantic_ = std::make_unique<metrics::SegmentationAccumulator>(
        std::max(ranges.n_classes, ranges.n_sprites) + 1);
  }
}

void InstanceScorer::add(const InstanceMaps& maps) {
  DTI_CHECK(maps.true_instance.defined() && maps.true_instance.dim() >= 1,
            "instance scoring: true_instance expected [B,H,W], got ",
            maps.true_instance.defined() ? shape_of(maps.true_instance) : "none");
  const int64_t B = maps.true_instance.size(0);
  const int64_t HW = B > 0 ? maps.true_instance.numel() / B : 0;
  // Every map's shape is checked before anything is scored.
  const auto truth = as_map(maps.true_instance, "true_instance", B, HW);
  const auto pred = as_map(maps.pred_instance, "pred_instance", B, HW);
  const auto pred_fg = as_map(maps.pred_instance_fg, "pred_instance_fg", B, HW);
  at::Tensor sem_truth, sem_pred;
  if (semantic_) {
    sem_truth = as_map(maps.true_semantic, "true_semantic", B, HW);
    sem_pred =
        semantic_classes(as_map(maps.pred_semantic, "pred_semantic", B, HW), ranges_.n_sprites);
  }
  const int64_t *t = truth.data_ptr<int64_t>(), *p = pred.data_ptr<int64_t>();
  const int64_t* f = pred_fg.data_ptr<int64_t>();
  for (int64_t b = 0; b < B; ++b) ari_.update(t + b * HW, p + b * HW, f + b * HW, HW);
  if (semantic_) {
    semantic_->update(sem_truth.data_ptr<int64_t>(), sem_pred.data_ptr<int64_t>(), B * HW);
  }
}

Metrics InstanceScorer::metrics() const {
  Metrics m{{"ari", ari_.mean_ari()}, {"ari_fg", ari_.mean_ari_foreground()}};
  if (semantic_) {
    const auto scores = semantic_->compute();
    m["macc"] = scores.mean_accuracy;
    m["miou"] = scores.mean_iou;
    m["seg_accuracy"] = scores.global_accuracy;
  }
  return m;
}

ClusteringScorer::ClusteringScorer(int64_t n_classes, int64_t n_sprites)
    : n_classes_(n_classes), n_sprites_(n_sprites) {
  DTI_CHECK(n_classes >= 1 && n_sprites >= 1,
            "clustering scoring expected n_classes >= 1 and n_sprites >= 1, got ", n_classes,
            " and ", n_sprites);
}

void ClusteringScorer::add(const at::Tensor& labels, const at::Tensor& sprite_ids) {
  DTI_CHECK(labels.defined() && sprite_ids.defined() && labels.dim() == 1 &&
                sprite_ids.dim() == 1 && labels.size(0) == sprite_ids.size(0),
            "clustering scoring expected labels [B] and sprite_ids [B], got ",
            labels.defined() ? shape_of(labels) : "none", " and ",
            sprite_ids.defined() ? shape_of(sprite_ids) : "none");
  for (int64_t v : to_vector(labels)) labels_.push_back(v);
  for (int64_t v : to_vector(sprite_ids)) sprite_ids_.push_back(v);
}

Metrics ClusteringScorer::metrics() const {
  const auto scores = metrics::clustering_scores(labels_, sprite_ids_, n_classes_, n_sprites_);
  return {{"accuracy", scores.global_accuracy},
          {"mean_class_accuracy", scores.mean_class_accuracy},
          {"nmi", scores.nmi}};
}

void CosegmentationScorer::add(const at::Tensor& true_masks, const at::Tensor& pred_masks) {
  DTI_CHECK(true_masks.defined() && true_masks.dim() == 3,
            "cosegmentation scoring: true_masks expected [B,H,W], got ",
            true_masks.defined() ? shape_of(true_masks) : "none");
  const int64_t B = true_masks.size(0), HW = true_masks.size(1) * true_masks.size(2);
  DTI_CHECK(pred_masks.defined(), "cosegmentation scoring: pred_masks is missing");
  const auto truth = as_map(true_masks > 0, "true_masks", B, HW);
  const auto pred = as_map(pred_masks > 0.5, "pred_masks", B, HW);
  accumulator_.update(truth.data_ptr<int64_t>(), pred.data_ptr<int64_t>(), B * HW);
  images_ += B;
}

Metrics CosegmentationScorer::metrics() const {
  // docs/evaluation.md#cosegmentation: Hungarian-matched accuracy (the paper's headline) and the
  // authors' mean IoU over background and foreground, plus the foreground IoU.
  return {{"accuracy", accumulator_.accuracy()},
          {"iou", accumulator_.mean_iou()},
          {"iou_fg", accumulator_.foreground_iou()}};
}

Metrics score_instance(const InstanceMaps& maps, const InstanceLabelRanges& ranges) {
  InstanceScorer scorer(ranges);
  scorer.add(maps);
  return scorer.metrics();
}

Metrics score_clustering(const at::Tensor& labels, const at::Tensor& sprite_ids, int64_t n_classes,
                         int64_t n_sprites) {
  ClusteringScorer scorer(n_classes, n_sprites);
  scorer.add(labels, sprite_ids);
  return scorer.metrics();
}

Metrics score_cosegmentation(const at::Tensor& true_masks, const at::Tensor& pred_masks) {
  CosegmentationScorer scorer;
  scorer.add(true_masks, pred_masks);
  return scorer.metrics();
}

}  // namespace dti::experiments
