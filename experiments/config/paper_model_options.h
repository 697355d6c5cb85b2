#pragma once
// Model settings of paper Table 6 and the authors' configs (docs/training.md), as ModelOptions.
// experiments/configs/*.yml hold the same values; a test keeps the two equal.

#include <string>
#include <vector>

#include "core/model_options.h"

namespace dti::experiments {

/// Names accepted by paper_model_options().
std::vector<std::string> paper_datasets();

/// The authors' model settings for `dataset` (tetrominoes, multi_dsprites, clevr6, gtsrb8, svhn,
/// weizmann_horse). Unknown names raise dti::Error listing the valid ones.
core::ModelOptions paper_model_options(const std::string& dataset);

}  // namespace dti::experiments
