#pragma once
// The scoring of the three evaluation protocols (docs/evaluation.md) on label tensors, independent
// of the model and of the dataset reader: evaluate() feeds them batch by batch, the learning tests
// call them on their generated sets, so both score alike. Each scorer accumulates batches (any
// integer or bool dtype, any device) and returns its metrics under their stored names.

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metrics/adjusted_rand.h"
#include "metrics/cosegmentation.h"
#include "metrics/segmentation.h"

namespace dti::experiments {

/// Metric values by their stored names, fractions in [0, 1].
using Metrics = std::map<std::string, double>;

/// The one rule for predicted semantic ids (sprite index + 1, 0 = background): ids 0..n_sprites
/// are kept; any other id (the empty sprite's n_sprites + 1, or ids added up where the binarised
/// occlusion leaves two layers unordered) counts as background (0). `n_sprites` excludes the
/// empty sprite. Returns an int64 tensor of the same shape.
at::Tensor semantic_classes(const at::Tensor& pred_semantic, int64_t n_sprites);

/// Label ranges of the instance protocol.
struct InstanceLabelRanges {
  int64_t n_layers = 0;     ///< Predicted instance ids lie in [0, n_layers].
  int64_t max_objects = 0;  ///< True instance ids lie in [0, max_objects].
  int64_t n_sprites = 0;    ///< Real sprites (empty excluded); see semantic_classes().
  /// True semantic ids lie in [0, n_classes]; 0 = no semantic masks (no macc / miou scores).
  int64_t n_classes = 0;
};

/// One batch of the instance protocol, every map [B,H,W] (a singleton channel is accepted).
struct InstanceMaps {
  at::Tensor true_instance;     ///< 0 = background, 1..max_objects.
  at::Tensor pred_instance;     ///< 0 = background, 1..n_layers: the ARI map.
  at::Tensor pred_instance_fg;  ///< Predicted background given to an object layer: the ARI-FG map.
  at::Tensor true_semantic;     ///< 0 = background, 1..n_classes (when ranges.n_classes > 0).
  at::Tensor pred_semantic;     ///< Sprite index + 1, 0 = background (when ranges.n_classes > 0).
};

/// Instance protocol: per-image ARI and ARI-FG averaged over images (ari, ari_fg) and, with
/// semantic masks, one Hungarian-matched confusion matrix over every pixel (macc, miou,
/// seg_accuracy).
class InstanceScorer {
 public:
  explicit InstanceScorer(const InstanceLabelRanges& ranges);
  /// Adds one batch; throws dti::Error on shape mismatches or labels outside the ranges.
  void add(const InstanceMaps& maps);
  /// ari, ari_fg and, with semantic masks, macc, miou and seg_accuracy; throws when empty.
  Metrics metrics() const;
  /// Images added.
  int64_t images() const { return ari_.count(); }

 private:
  InstanceLabelRanges ranges_;
  metrics::AriAccumulator ari_;
  std::unique_ptr<metrics::SegmentationAccumulator> semantic_;
};

/// Clustering protocol: an image's cluster is the sprite its layer chose.
class ClusteringScorer {
 public:
  /// Labels in [0, n_classes); sprite ids in [0, n_sprites), the empty sprite (when the model has
  /// one) included as a cluster of its own. With n_sprites == n_classes clusters are matched to
  /// classes by the Hungarian algorithm, otherwise each goes to its majority class.
  ClusteringScorer(int64_t n_classes, int64_t n_sprites);
  /// Adds one batch of [B] labels and [B] chosen sprite ids.
  void add(const at::Tensor& labels, const at::Tensor& sprite_ids);
  /// accuracy, mean_class_accuracy and nmi; throws dti::Error when empty or an id is out of range.
  Metrics metrics() const;
  /// Images added.
  int64_t images() const { return static_cast<int64_t>(labels_.size()); }

 private:
  int64_t n_classes_, n_sprites_;
  std::vector<int64_t> labels_, sprite_ids_;
};

/// Cosegmentation protocol: foreground / background pixel accuracy pooled over all pixels after
/// Hungarian matching, and IoU (metrics::CosegmentationAccumulator).
class CosegmentationScorer {
 public:
  /// Adds one batch: `true_masks` [B,H,W] is foreground where > 0 (instance or binary masks);
  /// `pred_masks` [B,H,W] or [B,1,H,W] is the chosen sprite's transformed mask, foreground > 0.5.
  void add(const at::Tensor& true_masks, const at::Tensor& pred_masks);
  /// accuracy, iou (mean over both classes), iou_fg; throws dti::Error when empty.
  Metrics metrics() const;
  /// Images added.
  int64_t images() const { return images_; }

 private:
  metrics::CosegmentationAccumulator accumulator_;
  int64_t images_ = 0;
};

/// InstanceScorer over one batch.
Metrics score_instance(const InstanceMaps& maps, const InstanceLabelRanges& ranges);
/// ClusteringScorer over one batch.
Metrics score_clustering(const at::Tensor& labels, const at::Tensor& sprite_ids, int64_t n_classes,
                         int64_t n_sprites);
/// CosegmentationScorer over one batch.
Metrics score_cosegmentation(const at::Tensor& true_masks, const at::Tensor& pred_masks);

}  // namespace dti::experiments
