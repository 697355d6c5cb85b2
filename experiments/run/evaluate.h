#pragma once
// The evaluation protocols (docs/evaluation.md) for a model: instance segmentation (ARI, ARI-FG and
// semantic mACC / mIoU on the first 320 images), clustering (accuracy and NMI on the labelled
// set) and cosegmentation (pixel accuracy on every image). The scoring itself is in
// experiments/run/scorers.h; this file feeds it the model's predictions on the dataset's images.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/model.h"
#include "datasets/dataset_file.h"
#include "experiments/config/config.h"
#include "experiments/run/scorers.h"
#include "reports/image.h"

namespace dti::experiments {

/// What an evaluation measured. Metric values are fractions in [0, 1] (tables show × 100).
struct EvaluationResult {
  /// Metric values by name: ari, ari_fg, macc, miou, seg_accuracy (instance); accuracy,
  /// mean_class_accuracy, nmi (clustering); accuracy, iou, iou_fg (cosegmentation); loss for all.
  std::map<std::string, double> metrics;
  /// Share of the evaluated layers that chose each sprite [K] (empty sprite last).
  std::vector<double> sprite_usage;
  /// Images evaluated.
  int64_t images = 0;
};

/// Evaluates `model` on `reader` with the protocol of `dataset` (its eval_images limit applies
/// to the instance and cosegmentation protocols), in batches of `batch_size`, on the model's
/// device.
EvaluationResult evaluate(core::DtiSprites& model, const datasets::DatasetReader& reader,
                          const DatasetConfig& dataset, int64_t batch_size);

/// The instance protocol's label ranges for `model` on images with at most `max_objects` objects
/// and `n_classes` semantic classes (0 = no semantic masks): the model's layers and real sprites.
InstanceLabelRanges instance_label_ranges(const core::DtiSprites& model, int64_t max_objects,
                                          int64_t n_classes);

/// The predicted maps of the instance protocol for images `x` decomposed as `d`: the composed
/// instance map (ARI), the one whose background went to the closest layer (ARI-FG) and, with
/// `semantic`, the sprite map; the true_* fields are left for the caller.
InstanceMaps predicted_instance_maps(const core::DtiSprites& model, const core::Decomposition& d,
                                     const at::Tensor& x, bool semantic);

/// A [C,H,W] or [H,W] tensor with values in [0, 1] (clamped) as an HWC image, on the CPU.
reports::Image to_image(const at::Tensor& chw);

/// Image files written for the report.
struct ArtifactFile {
  std::string
      kind;  ///< sprites, masks, backgrounds, input, reconstruction, semantic, instance, layer<l>.
  std::string path;   ///< Where it was written.
  std::string label;  ///< e.g. "sample 3".
};

/// Writes the learned sprites (RGBA on a checkerboard), masks and backgrounds, and for the first
/// `samples` evaluation images the input, reconstruction, semantic and instance maps and each
/// layer, as PNG files under `dir`.
std::vector<ArtifactFile> write_artifacts(core::DtiSprites& model,
                                          const datasets::DatasetReader& reader,
                                          const std::string& dir, int64_t samples = 8);

}  // namespace dti::experiments
