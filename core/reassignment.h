#pragma once
// Empty-sprite reassignment (docs/training.md#reassignment): which sprites to restart, from which.

#include <cstdint>
#include <vector>

namespace dti::core {

/// What a reassignment check decided.
struct ReassignmentPlan {
  std::vector<int64_t> reassigned;  ///< Sprites to restart as copies of `source` (may be empty).
  int64_t source = -1;              ///< The most used sprite.
  std::vector<double> proportions;  ///< Usage of each real sprite as compared with the threshold.
};

/// Plans a reassignment from the selection proportions of each sprite since the last check
/// (`proportions`: K values, the empty sprite last when `has_empty_sprite`). With an empty sprite
/// its share is dropped and the rest divided by their maximum (reference). Every real sprite under
/// `threshold` (0.2/K_real by default) is restarted from the most used one (first on ties).
ReassignmentPlan plan_reassignment(const std::vector<double>& proportions, bool has_empty_sprite,
                                   double threshold);

}  // namespace dti::core
