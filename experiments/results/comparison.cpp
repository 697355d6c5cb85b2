#include "experiments/results/comparison.h"

#include <iomanip>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"
#include "experiments/config/presets.h"
#include "experiments/run/cell_run.h"
#include "experiments/run/metric_table.h"
#include "reports/aggregate.h"
#include "reports/cell_result.h"

namespace dti::experiments {
namespace {

std::string fixed(double v, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

// Display units: fractions as percentages with one decimal, the rest with four significant
// digits (metric_table.h), for a value already scaled by scale_of().
std::string shown(const std::string& metric, double v) {
  const MetricInfo* m = find_metric(metric);
  if (m != nullptr && m->fraction) return fixed(v, 1);
  std::ostringstream out;
  out << std::setprecision(4) << v;
  return out.str();
}

double scale_of(const std::string& metric) {
  const MetricInfo* m = find_metric(metric);
  return m != nullptr && m->fraction ? 100.0 : 1.0;
}

std::string label_of(const std::string& metric) {
  const MetricInfo* m = find_metric(metric);
  return m != nullptr ? std::string(m->label) + (m->fraction ? " (%)" : "") : metric;
}

// "+1.2 [-0.3, +2.8]" and whether it beats seed noise, or why there is no interval.
std::string difference_text(const std::string& metric, const reports::CellResult& cell,
                            const reports::CellResult& base) {
  if (!cell.has_value() || !base.has_value()) return "–";
  if (cell.values.size() < kMinSeedsForInterval || base.values.size() < kMinSeedsForInterval) {
    return "too few seeds";
  }
  const auto d = reports::compare_variants(cell.values, base.values);
  auto sign = [&](double v) { return (v >= 0 ? "+" : "") + shown(metric, v); };
  return sign(d.difference) + " [" + sign(d.ci_low) + ", " + sign(d.ci_high) + "]" +
         (d.excludes_zero() ? " **beats noise**" : "");
}

}  // namespace

std::vector<std::string> comparison_metrics(const ExperimentDefinition& experiment,
                                            const RunnerOptions& options,
                                            const ComparisonOptions& compare) {
  auto metrics = !compare.metrics.empty() ? compare.metrics : experiment.metrics;
  if (metrics.empty() && !experiment.cells.empty()) {
    metrics = protocol_metrics(cell_config(experiment.cells.front(), options, 0).dataset.eval);
  }
  std::vector<std::string> known;
  for (const auto& m : metric_table()) known.push_back(m.key);
  for (const auto& m : metrics) check_one_of("metric", m, known);
  return metrics;
}

std::string render_comparison(const ExperimentDefinition& experiment, const RunnerOptions& options,
                              const reports::Store& store, const ComparisonOptions& compare) {
  const std::string baseline = !compare.baseline.empty() ? compare.baseline : experiment.baseline;
  if (!baseline.empty()) find_cell(experiment, baseline);  // names the cells when it is not one
  const auto metrics = comparison_metrics(experiment, options, compare);
  reports::CellOptions cell_options;
  cell_options.rule.policy = experiment.outlier_policy;
  std::ostringstream out;
  out << "## " << experiment.description << "\n\n| cell | seeds |";
  for (const auto& m : metrics) {
    out << " " << label_of(m) << " |";
    if (!baseline.empty()) out << " Δ " << label_of(m) << " vs " << baseline << " |";
  }
  out << "\n|---|---|";
  for (size_t i = 0; i < metrics.size() * (baseline.empty() ? 1 : 2); ++i) out << "---|";
  out << "\n";
  size_t fewest = SIZE_MAX;
  for (const auto& cell : experiment.cells) {
    out << "| " << cell.name << (cell.name == baseline ? " (baseline)" : "") << " |";
    bool seeds_written = false;
    for (const auto& m : metrics) {
      cell_options.scale = scale_of(m);
      const auto result =
          reports::collect_cell(store, {experiment.store_experiment, cell.name, m}, cell_options);
      if (!seeds_written) {
        out << " " << result.values.size() << " |";
        fewest = std::min(fewest, result.values.size());
        seeds_written = true;
      }
      out << " "
          << (result.has_value()
                  ? shown(m, *result.mean) + " ± " + shown(m, result.std_dev.value_or(0.0))
                  : "–")
          << " |";
      if (baseline.empty()) continue;
      if (cell.name == baseline) {
        out << " – |";
        continue;
      }
      const auto base =
          reports::collect_cell(store, {experiment.store_experiment, baseline, m}, cell_options);
      out << " " << difference_text(m, result, base) << " |";
    }
    out << "\n";
  }
  const reports::BootstrapOptions bootstrap;
  out << "\nMean ± sample std over the kept seeds ("
      << reports::outlier_policy_name(experiment.outlier_policy) << " outlier policy"
      << ", docs/evaluation.md#outliers).";
  if (!baseline.empty()) {
    out << " Δ: difference of means to " << baseline << " with its "
        << fixed(100 * bootstrap.confidence, 0) << "% percentile bootstrap interval ("
        << bootstrap.resamples << " resamples of each cell's seeds, drawn independently; "
        << "the fewest seeds in a cell: " << (fewest == SIZE_MAX ? 0 : fewest)
        << "); **beats noise** when the interval excludes 0; \"too few seeds\" under "
        << kMinSeedsForInterval << " seeds.";
  }
  if (compare.after_run) {
    out << " This invocation: " << settings_text(options.preset, options.overrides) << ".\n";
  } else {
    out << " The seeds as stored, whichever preset and --set made them (`runexp show RUN-ID` "
           "gives each run's config).\n";
  }
  return out.str();
}

}  // namespace dti::experiments
