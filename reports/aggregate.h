#pragma once
// Statistics of a table cell over seeds (docs/evaluation.md#outliers): the outlier rule on
// the final reconstruction loss, mean ± sample standard deviation of the kept runs, and the
// bootstrap comparison of two variants. Pure functions over vectors: no SQLite, no LibTorch.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dti::reports {

/// Mean and sample standard deviation of one quantity over runs.
struct MeanStd {
  double mean = 0.0;              ///< Arithmetic mean.
  std::optional<double> std_dev;  ///< Sample standard deviation (n − 1); absent when n < 2.
  int64_t n = 0;                  ///< Number of values.
};

/// Mean ± sample standard deviation of `values`; throws on an empty list or a non-finite value.
MeanStd mean_std(const std::vector<double>& values);

/// Which runs the outlier rule may drop.
enum class OutlierSide {
  kAbove,  ///< Only runs whose loss is above the median (the paper: "far above the others").
  kBoth,   ///< Runs far from the median on either side, |loss − median|.
};

/// Whether a table drops outlier runs at all (docs/evaluation.md#outliers): the paper applies its
/// rule in Tables 1 and 5 (marked (M)) but keeps every run in Table 2.
enum class OutlierPolicy {
  kRule,  ///< The rule below may drop runs.
  kNone,  ///< Every finished run is kept.
};

/// "rule" or "none".
std::string outlier_policy_name(OutlierPolicy policy);
/// Parses "rule" / "none"; other names raise dti::Error listing both.
OutlierPolicy parse_outlier_policy(const std::string& name);

/// The outlier rule of docs/evaluation.md#outliers on final losses: robust z = (loss − median) /
/// (mad_scale · MAD); from at least min_runs runs, drop the ones with the largest z (at most
/// max_dropped) whose z exceeds threshold. Recorded with every aggregate.
struct OutlierRule {
  int64_t min_runs = 4;                         ///< Nothing is dropped from fewer runs (>= 3).
  int64_t max_dropped = 1;                      ///< At most this many runs dropped (>= 0).
  double threshold = 3.5;                       ///< Drop only when robust z > threshold (> 0).
  double mad_scale = 1.4826;                    ///< MAD → σ factor for normal data (> 0).
  OutlierSide side = OutlierSide::kAbove;       ///< Which side of the median counts.
  OutlierPolicy policy = OutlierPolicy::kRule;  ///< kNone keeps every run (rule not applied).

  /// Throws dti::Error naming the field, its value and the valid range.
  void validate() const;
  /// One sentence stating the rule and every parameter, stored with each aggregate.
  std::string describe() const;
};

/// One run as the outlier rule sees it.
struct RunLoss {
  std::string run_id;  ///< Caller's identifier of the run (unique within the cell).
  double final_loss;   ///< Final reconstruction loss of the run.
};

/// A run that the outlier rule left out.
struct DroppedRun {
  std::string run_id;  ///< Identifier given by the caller.
  double final_loss;   ///< Its final reconstruction loss.
  double robust_z;     ///< Its robust z-score, above the rule's threshold.
};

/// What the outlier rule decided for the runs of one cell.
struct OutlierScreen {
  std::vector<std::string> kept_run_ids;  ///< Runs kept, in input order.
  std::vector<DroppedRun> dropped;        ///< Runs dropped, largest robust z first.
  double median_loss = 0.0;               ///< Median of all final losses.
  double mad = 0.0;                       ///< Median absolute deviation (unscaled).
  std::string rule;                       ///< OutlierRule::describe() of the rule applied.
  std::string note;                       ///< One line: what was dropped, or why nothing was.
};

/// Applies `rule` to the runs of one cell. Throws on duplicate ids, a non-finite loss or an
/// invalid rule. MAD = 0 (at least half the runs share one loss exactly) drops nothing.
OutlierScreen screen_outliers(const std::vector<RunLoss>& runs, const OutlierRule& rule = {});

/// One finished run of a table cell with its metric values.
struct RunResult {
  std::string run_id;                     ///< Caller's identifier (unique within the cell).
  double final_loss;                      ///< Final reconstruction loss (the outlier criterion).
  std::map<std::string, double> metrics;  ///< Metric name → value, e.g. {"ari", 0.951}.
};

/// Aggregate of one table cell over seeds.
struct CellAggregate {
  OutlierRule rule;                        ///< The rule applied (its parameters).
  OutlierScreen screen;                    ///< Kept and dropped runs, with the rule's text.
  std::map<std::string, MeanStd> metrics;  ///< Each metric over the kept runs.
  MeanStd final_loss;                      ///< Final loss over the kept runs.
};

/// Screens the runs of one cell with `rule`, then summarises every metric over the kept runs.
/// Every run must carry the same metric names; throws on an empty cell, a non-finite value or
/// duplicate ids.
CellAggregate aggregate_cell(const std::vector<RunResult>& runs, const OutlierRule& rule = {});

/// Settings of the bootstrap comparison of two variants.
struct BootstrapOptions {
  int64_t resamples = 10000;  ///< Bootstrap resamples (>= 100).
  double confidence = 0.95;   ///< Confidence level of the interval, in (0, 1).
  uint64_t seed = 2021;       ///< Seed of the std::mt19937_64 that draws the resamples.

  /// Throws dti::Error naming the field, its value and the valid range.
  void validate() const;
};

/// Difference of means of two variants over seeds with its percentile bootstrap interval.
struct MeanDifference {
  double difference = 0.0;   ///< mean(variant) − mean(baseline).
  double ci_low = 0.0;       ///< Lower end of the percentile bootstrap interval.
  double ci_high = 0.0;      ///< Upper end of the percentile bootstrap interval.
  int64_t n_variant = 0;     ///< Seeds of the variant.
  int64_t n_baseline = 0;    ///< Seeds of the baseline.
  BootstrapOptions options;  ///< Settings that produced the interval.

  /// Whether the interval excludes 0, i.e. the effect exceeds seed noise at this confidence.
  bool excludes_zero() const { return ci_low > 0.0 || ci_high < 0.0; }
  /// One line stating the difference, the interval and how it was obtained.
  std::string describe() const;
};

/// mean(variant) − mean(baseline) and its percentile bootstrap interval: each resample draws
/// each variant's seeds with replacement (independently), deterministic given options.seed.
/// Needs at least two finite values per variant.
MeanDifference compare_variants(const std::vector<double>& variant,
                                const std::vector<double>& baseline,
                                const BootstrapOptions& options = {});

}  // namespace dti::reports
