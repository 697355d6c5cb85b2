#pragma once
// The paper's settings per dataset (Table 6, the authors' configs) as the code uses them, read
// from the one place that holds them: the shipped experiments/configs/<dataset>.yml (found as
// resolve_config_path() finds them; DTI_CONFIG_DIR overrides). Tests and dti_bench use these.

#include <cstdint>
#include <string>
#include <vector>

#include "core/model_options.h"

namespace dti::experiments {

/// Names accepted by paper_model_options() and paper_batch_size().
std::vector<std::string> paper_datasets();

/// The authors' model settings for `dataset` (tetrominoes, multi_dsprites, clevr6, gtsrb8, svhn,
/// weizmann_horse): the `model:` section of its shipped config. Unknown names raise dti::Error
/// listing the valid ones.
core::ModelOptions paper_model_options(const std::string& dataset);

/// The batch size of the dataset's shipped config.
int64_t paper_batch_size(const std::string& dataset);

/// The first epoch at which every module of `options` is on and the sprites train: the last
/// curriculum milestone, or the end of the frozen-sprite epochs when that is later.
int64_t first_active_epoch(const core::ModelOptions& options);

}  // namespace dti::experiments
