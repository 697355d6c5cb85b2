#pragma once
// Converters from the files users actually download to the dataset format (FORMAT.md). Each one
// checks its inputs, writes under a temporary name renamed when complete, records the inputs'
// sizes and SHA-256 in the provenance, and returns what it did.

#include <cstdint>
#include <string>
#include <vector>

namespace dti::datasets {

/// Options shared by every converter (`runexp data convert KIND --input ... --out ...`).
struct ConvertOptions {
  std::vector<std::string> inputs;  ///< Input files or folders (meaning depends on the converter).
  std::string output;               ///< Dataset file to write.
  int64_t limit = 0;                ///< TFRecords: records to read (0 = the converter's default);
                                    ///< others: most images to write (0 = all).
  bool show_progress = true;        ///< Print progress to stderr.
  std::string labels_csv;           ///< `folder` only: CSV of "relative/path,label" rows.
  int64_t size = 0;                 ///< `folder` only: resize to size x size (0 = keep).
  /// Throws dti::Error when inputs or output are missing or limit/size are negative.
  void validate(const std::string& converter) const;
};

/// What a conversion did.
struct ConvertSummary {
  int64_t read = 0;                ///< Records or images read.
  int64_t written = 0;             ///< Images written.
  int64_t skipped = 0;             ///< Records or images left out (e.g. CLEVR scenes > 6 objects).
  std::vector<std::string> notes;  ///< Warnings worth showing the user.
};

/// Default number of CLEVR records scanned for scenes with at most 6 objects.
constexpr int64_t kDefaultClevrRecords = 70000;

/// DeepMind `tetrominoes_train.tfrecords` (one input) -> `tetrominoes` 35x35: image, instance ids
/// = entity index, semantic class = the entity's `shape` factor (1..19).
ConvertSummary convert_tetrominoes(const ConvertOptions& options);

/// DeepMind `multi_dsprites_colored_on_grayscale.tfrecords` -> `multi_dsprites` 64x64 (mask
/// stored [H,W,entity]; semantic class = `shape` factor 1..3).
ConvertSummary convert_multi_dsprites(const ConvertOptions& options);

/// DeepMind `clevr_with_masks_train.tfrecords` -> `clevr6`: scenes with at most 6 objects among
/// the first 70,000 records, rows 29-220 and columns 64-255, resized to 128x128 (bilinear image,
/// nearest masks), semantic class = 2 * (shape - 1) + material (1..6).
ConvertSummary convert_clevr6(const ConvertOptions& options);

/// SVHN cropped digits `.mat` files (e.g. test, train, extra) -> `svhn` 32x32 with labels (label
/// 10 means digit 0). Each file is a part; extra is left out of the clustering evaluation.
ConvertSummary convert_svhn(const ConvertOptions& options);

/// GTSRB training set (the folder holding `000CC/` class folders, or any ancestor with
/// `Final_Training/Images`) -> `gtsrb8`: classes 3, 7, 9, 11, 17, 18, 25, 35 as labels 0-7, whole
/// images resized to 28x28.
ConvertSummary convert_gtsrb8(const ConvertOptions& options);

/// Weizmann Horse database (folder with `rgb/` and `figure_ground/`) -> `weizmann_horse` 128x128
/// with a binary mask (instance 1 and semantic class 1 = horse), JPEG masks thresholded at 128.
ConvertSummary convert_weizmann_horse(const ConvertOptions& options);

/// A folder of images -> dataset named after the folder; labels from `labels_csv` when given,
/// else from sub-folder names when every image sits in a sub-folder, else none.
ConvertSummary convert_folder(const ConvertOptions& options);

// The converter registry (convert(), converter_names()) is the catalogue: datasets/catalogue.h.

}  // namespace dti::datasets
