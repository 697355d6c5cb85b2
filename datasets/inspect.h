#pragma once
// `runexp data inspect FILE [--png GRID.png]`: summary of a dataset file, a full read that proves
// every chunk is intact, and an optional picture of the first images with their masks.

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset_file.h"

namespace dti::datasets {

/// What inspect_dataset() found.
struct InspectReport {
  DatasetInfo info;                       ///< Attributes and shape.
  std::string path;                       ///< The file inspected.
  std::vector<int64_t> label_counts;      ///< Images per label 0..C-1 (empty without labels).
  int64_t unlabelled = 0;                 ///< Images with label -1.
  std::vector<int64_t> object_histogram;  ///< Images with 0, 1, ... distinct instance ids.
  std::vector<int64_t> class_pixels;      ///< Semantic-mask pixels per class 0..C.
  std::vector<int64_t> part_counts;       ///< Images per part (empty for a single part).
  std::vector<std::string> problems;      ///< Values outside the layout (ids, classes).
};

/// Reads every image and mask of `reader` (throws dti::Error on corrupt data) and summarises.
InspectReport inspect_dataset(const DatasetReader& reader, bool show_progress);

/// Multi-line, human-readable report.
std::string format_report(const InspectReport& report);

/// Writes a PNG grid of the first `count` images, each followed by its instance and semantic masks
/// in false colours when the file has them (small images are enlarged by pixel repetition).
void write_grid_png(const DatasetReader& reader, const std::string& png_path, int64_t count = 16);

}  // namespace dti::datasets
