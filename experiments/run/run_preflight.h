#pragma once
// Checks made before a run's first iteration, so that it fails in seconds rather than after
// hours of training (reports/results/reliability.md, items 7, 8 and 11): every image and mask it
// will read is intact and within the layout, its model fits in memory, and its checkpoint fits
// on disk.

#include <cstdint>
#include <string>

#include "core/model.h"
#include "datasets/dataset_file.h"
#include "experiments/config/config.h"

namespace dti::experiments {

/// Reads every image and mask of `reader` (checksums and value ranges) and checks that it has
/// the arrays the evaluation protocol of `dataset` needs; throws dti::Error naming the file,
/// what is wrong and how to make a good one.
void check_data_before_training(const datasets::DatasetReader& reader,
                                const DatasetConfig& dataset);

/// Rough bytes of one training step of `config` on the CPU: parameters, gradients and Adam
/// moments, plus the per-sprite activations of a batch (B x L x K x 4 x H x W floats, several
/// times over for the backward pass). An estimate, for refusing absurd sizes.
double estimate_training_bytes(const RunConfig& config);

/// Throws dti::Error naming the sizes when estimate_training_bytes(config) exceeds
/// `available_bytes` (the machine's memory when negative); only for the CPU ("auto" included).
void check_memory_before_training(const RunConfig& config, const std::string& device,
                                  double available_bytes = -1.0);

/// Bytes of a checkpoint of `model` with its Adam moments (parameters three times over).
int64_t estimate_checkpoint_bytes(const core::DtiSprites& model);

/// Throws dti::Error ("no space left") when the file system of `checkpoint_path` cannot hold three
/// checkpoints of `checkpoint_bytes` (the latest, the previous kept as a fallback and the
/// temporary file of a save), counting what the run's checkpoint files already occupy.
void check_space_for_checkpoint(const std::string& checkpoint_path, int64_t checkpoint_bytes);

/// Whether an error message reports a full disk (ENOSPC, SQLite's "database or disk is full").
bool is_no_space_error(const std::string& message);

}  // namespace dti::experiments
