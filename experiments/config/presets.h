#pragma once
// Presets: named reductions of a run configuration, applied as `key=value` overrides through the
// same parser and checks as `--set`, before the user's own overrides (which therefore win).
// They live in code, not in YAML, because `quick` and `smoke` are computed from the base config
// (epoch quantities are scaled, curricula follow the sequence lengths), so they also fit
// multi_dsprites2 and user-written configs. preset_overrides() shows exactly what a preset sets.
//
//   paper  the paper's settings (docs/training.md#per-dataset-settings) unchanged.
//   quick  every epoch quantity (n_epoches, scheduler milestones, the three curricula,
//          freeze_sprite) divided by a per-dataset factor, rounded, kept >= 1 where it was >= 1,
//          and possibly fewer training images; iteration intervals are kept. Numbers and
//          rationale: the table in presets.cpp.
//   demo   Tetrominoes on 4,000 images for 16 epochs (2,000 iterations): minutes on two CPU
//          cores (README's first command); other datasets get smoke.
//   smoke  48 images, batch 8, 3 epochs of 6 iterations (max_iterations 18), freeze 1 epoch,
//          curricula [1, 2], schedule milestone 2, reassignment every 5 iterations, a checkpoint
//          every 10: every code path runs once, on the dataset's real image size and model.

#include <string>
#include <vector>

#include "experiments/config/config.h"

namespace dti::experiments {

/// Names of the presets: paper, quick, demo, smoke.
std::vector<std::string> preset_names();

/// One-line description of `preset`; unknown names raise dti::Error listing the valid ones.
std::string preset_description(const std::string& preset);

/// What a table or summary says of the settings its runs were asked with: "preset paper (the
/// config's full schedule)", or with overrides "preset paper, with --set a=1, --set b=2" (the
/// schedule is then not called the paper's).
std::string settings_text(const std::string& preset, const std::vector<std::string>& overrides);

/// The quick preset's reduction for one dataset.
struct QuickScale {
  /// Every epoch quantity is divided by this factor.
  int64_t epoch_factor = 1;
  /// Training images (dataset.n_images); 0 = keep the config's.
  int64_t n_images = 0;
};

/// The quick preset's reduction for `dataset` (a name of dataset_names()).
QuickScale quick_scale(const std::string& dataset);

/// The overrides (`key=value`, the syntax of --set) that `preset` applies to `base`, in a fixed
/// order; none for paper. Unknown presets raise dti::Error listing the valid ones.
std::vector<std::string> preset_overrides(const RunConfig& base, const std::string& preset);

/// `config` with `preset` applied through the same parser and checks as --set; source is kept.
RunConfig apply_preset(const RunConfig& config, const std::string& preset);

/// Reads `path`, applies `preset` (computed from the file's values; "" = none), then the user's
/// `overrides`, which win over the preset.
RunConfig load_config(const std::string& path, const std::string& preset,
                      const std::vector<std::string>& overrides);

}  // namespace dti::experiments
