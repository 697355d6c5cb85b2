#pragma once
// The one on-disk format of every dataset (layout in datasets/FORMAT.md): an HDF5 file with
// `images` uint8 [N,H,W,3] and optional `labels` int64 [N], `instance_masks` and `semantic_masks`
// uint8 [N,H,W], one image per compressed, checksummed chunk, and root attributes that name the
// dataset and record how it was made. LibTorch-free: tensors are made in batch_iterator.h.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dti::datasets {

/// Layout version written and read by this build (datasets/FORMAT.md). Version 2 added the
/// checksums that cover every byte a reader returns (dataset_digest.h); version 3 writes the
/// file in HDF5's 1.10 format, whose headers libhdf5 verifies before decoding them. Older
/// files are refused with the command that re-creates them.
constexpr int64_t kFormatVersion = 3;
/// Value of the root attribute `format` that marks a dtisprites dataset file.
constexpr const char* kFormatName = "dtisprites-dataset";

/// Everything about a dataset file except its pixels: root attributes and which arrays exist.
struct DatasetInfo {
  std::string name;                 ///< Dataset name, e.g. "tetrominoes" (attribute `dataset`).
  int64_t size = 0;                 ///< Number of images N (filled by the reader and writer).
  int64_t height = 0;               ///< Image height H.
  int64_t width = 0;                ///< Image width W.
  bool has_labels = false;          ///< Whether `labels` int64 [N] exists.
  bool has_instance_masks = false;  ///< Whether `instance_masks` uint8 [N,H,W] exists.
  bool has_semantic_masks = false;  ///< Whether `semantic_masks` uint8 [N,H,W] exists.
  int64_t num_classes = 0;  ///< C: labels lie in [0,C) (-1 = unknown), semantic ids in 1..C.
  int64_t max_objects = 0;  ///< Most objects in one image: instance ids lie in 0..max_objects.
  std::vector<std::string> label_names;       ///< Optional names of the C classes.
  std::vector<std::string> part_names;        ///< Source parts when `parts` uint8 [N] exists.
  std::vector<std::string> clustering_parts;  ///< Parts of the clustering evaluation; empty = all.
  std::string provenance;  ///< JSON: generator and seed, or converter and its inputs.
  int64_t format_version = kFormatVersion;  ///< Layout version (attribute `format_version`).

  /// Checks the fields a writer needs; throws dti::Error naming the field, value and valid range.
  void validate() const;
  /// Number of values in one image (H*W*3).
  int64_t image_numel() const { return height * width * 3; }
  /// Number of values in one mask (H*W).
  int64_t mask_numel() const { return height * width; }
};

/// One image and its annotations as stored: uint8, row-major.
struct Sample {
  std::vector<uint8_t> image;          ///< [H,W,3] RGB.
  int64_t label = -1;                  ///< Class in [0,C), or -1 when unknown.
  std::vector<uint8_t> instance_mask;  ///< [H,W]: 0 = background, 1..max_objects; empty if absent.
  std::vector<uint8_t> semantic_mask;  ///< [H,W]: 0 = background, 1..C; empty if absent.
  int64_t part = 0;                    ///< Index into DatasetInfo::part_names.
};

/// Writes a new dataset file under a temporary name (`<path>.partial-<pid>`) and renames it to
/// `path` in finish(); destroyed before finish(), it deletes the temporary file, so an interrupted
/// run never leaves a half-written dataset under the final name.
class DatasetWriter {
 public:
  /// Starts the file; throws dti::Error for an invalid `info` or an unwritable folder.
  DatasetWriter(std::string path, DatasetInfo info);
  /// Deletes the temporary file unless finish() succeeded.
  ~DatasetWriter();
  DatasetWriter(const DatasetWriter&) = delete;
  DatasetWriter& operator=(const DatasetWriter&) = delete;

  /// Appends one sample; throws dti::Error when its sizes or values do not fit the layout.
  void append(const Sample& sample);
  /// Number of samples appended so far.
  int64_t size() const;
  /// Replaces the provenance JSON (e.g. once input checksums are known); before finish().
  void set_provenance(std::string json);
  /// Flushes, writes the attributes, closes and renames to the final path.
  void finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Random-access reader. Opening validates the whole layout, so a bad file fails here with a
/// message that says what was expected, what was found and how to make a good file. Reads may come
/// from several threads (HDF5 is built thread-safe and each call makes its own selections).
class DatasetReader {
 public:
  /// Opens `path`. `expected_name` (optional) names the dataset the caller wants: it selects the
  /// exact `runexp data` command quoted when the file is missing, and must match the file.
  explicit DatasetReader(const std::string& path, const std::string& expected_name = "");
  /// Closes the file.
  ~DatasetReader();
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  /// Attributes and shape of the file.
  const DatasetInfo& info() const;
  /// Number of images N.
  int64_t size() const { return info().size; }
  /// Path given to the constructor.
  const std::string& path() const;

  /// Copies image `index` ([H,W,3] uint8) to `out`; throws dti::Error on corrupt data.
  void read_image(int64_t index, uint8_t* out) const;
  /// Copies instance mask `index` ([H,W] uint8) to `out`; the file must have instance masks.
  void read_instance_mask(int64_t index, uint8_t* out) const;
  /// Copies semantic mask `index` ([H,W] uint8) to `out`; the file must have semantic masks.
  void read_semantic_mask(int64_t index, uint8_t* out) const;
  /// All labels ([N], -1 = unknown); empty when the file has none.
  const std::vector<int64_t>& labels() const;
  /// Part index of every image ([N]); empty when the file has a single part.
  const std::vector<uint8_t>& parts() const;
  /// Image `index` with every annotation the file has.
  Sample read(int64_t index) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The command that makes a dataset file and the list of known names: datasets/catalogue.h.

}  // namespace dti::datasets
