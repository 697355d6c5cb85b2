#include "core/reassignment.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"

namespace dti::core {

ReassignmentPlan plan_reassignment(const std::vector<double>& proportions, bool has_empty_sprite,
                                   double threshold) {
  DTI_CHECK(proportions.size() >= (has_empty_sprite ? 2u : 1u),
            "plan_reassignment: expected one proportion per sprite, got ", proportions.size());
  for (double p : proportions) {
    DTI_CHECK(std::isfinite(p) && p >= 0,
              "plan_reassignment: proportions must be finite and >= 0, got ", p);
  }
  ReassignmentPlan plan;
  plan.proportions = proportions;
  if (has_empty_sprite) {
    plan.proportions.pop_back();
    const double top = *std::max_element(plan.proportions.begin(), plan.proportions.end());
    // All real sprites unused: the reference divides by zero (NaN) and reassigns nothing.
    if (top <= 0) return plan;
    for (double& p : plan.proportions) p /= top;
  }
  const auto best = std::max_element(plan.proportions.begin(), plan.proportions.end());
  plan.source = static_cast<int64_t>(best - plan.proportions.begin());
  for (size_t i = 0; i < plan.proportions.size(); ++i) {
    if (plan.proportions[i] < threshold) plan.reassigned.push_back(static_cast<int64_t>(i));
  }
  return plan;
}

}  // namespace dti::core
