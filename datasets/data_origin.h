#pragma once
// Whether a dataset file holds the paper's data or our stand-in for it, read from its
// `provenance` attribute (datasets/provenance.h). The paper scored Tetrominoes, Multi-dSprites and
// Multi-dSprites2 on DeepMind's records; a file our generator made for one of them is not the
// paper's data, and every table cell computed on it says so (reports/cell_result.h: data_note).

#include <string>

#include "datasets/dataset_file.h"

namespace dti::datasets {

/// How a dataset file was made, and what a table built on it must say.
struct DataOrigin {
  /// "generated" (one of our generators), "converted" (a converter of an original download or of
  /// the user's images), or "" when the provenance names neither (files from outside this suite).
  std::string kind;
  /// For generated data of a catalogue dataset: "generated data, not the paper's; ..." with the
  /// command that converts the real file (or that no converter exists); "" otherwise.
  std::string note;
};

/// The origin of the file at `path` with attributes `info`; `path` goes into the quoted command
/// so that the converted file replaces the generated one the run read.
DataOrigin data_origin(const DatasetInfo& info, const std::string& path);

/// The note of a generated file of dataset `name` at `path` (see DataOrigin::note).
std::string generated_data_note(const std::string& name, const std::string& path);

}  // namespace dti::datasets
