#pragma once
// Parameter sweeps (paper Figure 8: loss against K on Tetrominoes; Figure 9: λ on Multi-dSprites):
// runs whose variant is "<parameter>=<value>" (e.g. "K=19", "lambda=1e-4"), summarised per value
// as mean ± std over the seeds of finished runs. No outlier rule: a sweep shows every seed.

#include <cstdint>
#include <string>
#include <vector>

#include "reports/store.h"
#include "reports/svg.h"

namespace dti::reports {

/// One value of the swept parameter.
struct SweepPoint {
  /// The value as written in the variant, e.g. "1e-4".
  std::string label;
  /// The value as a number.
  double x = 0.0;
  /// Mean over finished runs.
  double mean = 0.0;
  /// Sample standard deviation (0 for one run).
  double std_dev = 0.0;
  /// Finished runs used.
  int64_t n = 0;
};

/// The variant's value for `parameter` ("K=19" → "19"); "" when the variant is not of that form.
std::string sweep_value(const std::string& variant, const std::string& parameter);

/// Points of `quantity` ("final_loss" or a final metric name) against `parameter`, by value.
std::vector<SweepPoint> collect_sweep(const Store& store, const std::string& experiment,
                                      const std::string& parameter, const std::string& quantity);

/// A sweep as a Markdown table ("| K | final loss (mean ± std) | runs |"), under `title`; a row
/// saying so when no run has finished.
std::string render_sweep_markdown(const std::vector<SweepPoint>& points,
                                  const std::string& parameter, const std::string& title);

/// A sweep as an SVG line plot with error bars; categorical x when `categorical` (e.g. λ with 0).
std::string render_sweep_svg(const std::vector<SweepPoint>& points, const std::string& parameter,
                             const std::string& quantity, bool categorical,
                             const std::string& title);

}  // namespace dti::reports
