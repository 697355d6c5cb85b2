#pragma once
// `runexp data export --format authors-png`: writes a dataset file in the folder layout that the
// authors' multi-object loader reads (monniert/dti-sprites, src/dataset/multi_object.py), so that
// their code and ours can be trained on the same images (the side-by-side parity measurement):
//
//   <out>/<folder>/images/<i>.png      RGB, 8 bits per channel
//   <out>/<folder>/masks/<i>.png       8-bit grey: instance ids (0 = background, 1..max_objects)
//   <out>/<folder>/sem_masks/<i>.png   8-bit grey: semantic ids (0 = background, 1..C)
//
// for i = 0..N-1 in file order (their loader opens `<i>.png` for index i, evaluates the first 320
// and reads labels back as round(ToTensor(png) * 255), exact for every 8-bit value). PNG is
// lossless, so pixels and labels equal the file's. Their dataset classes hard-code N (60,000 for
// Tetrominoes): a smaller export must be read with N set to the exported count.

#include <cstdint>
#include <string>

namespace dti::datasets {

/// What to export and where.
struct AuthorsExportOptions {
  std::string input;     ///< Our HDF5 dataset file.
  std::string out_root;  ///< Folder that receives <folder>/ (the authors' DATASETS_PATH).
  std::string folder;    ///< Sub-folder name; empty = the authors' name for the dataset.
  int64_t limit = 0;     ///< Export only the first `limit` images (0 = all).
  bool show_progress = false;
};

/// What was written.
struct AuthorsExportSummary {
  std::string folder;  ///< The complete <out_root>/<folder> path.
  int64_t images = 0;  ///< Number of images (and of each mask kind) written.
};

/// The authors' dataset folder name for one of our dataset names ("multi_dsprites" ->
/// "dsprites_gray"; "tetrominoes" and "clevr6" are spelled alike); other names map to themselves.
std::string authors_folder_name(const std::string& dataset_name);

/// Exports `options.input`; the folder is written under a temporary name and renamed when complete,
/// so an interrupted export leaves nothing under the final name. Throws dti::Error when the file
/// lacks instance or semantic masks (the authors' multi-object layout needs both), when the target
/// folder already exists, or on a write failure.
AuthorsExportSummary export_authors_png(const AuthorsExportOptions& options);

}  // namespace dti::datasets
