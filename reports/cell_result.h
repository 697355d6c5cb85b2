#pragma once
// One quantity of a paper table (one cell × metric) aggregated over seeds from the results store:
// the bridge between the store, the outlier rule of aggregate.h and the table renderers.
//
// Only finished runs count. Per seed the latest finished run is used (an earlier one with the same
// seed, e.g. from an older configuration, is superseded and named in the note). Runs still
// running, stale (killed) or failed are never aggregated and are counted in `not_counted`.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "reports/aggregate.h"
#include "reports/store.h"

namespace dti::reports {

/// Where one table quantity lives in the store.
struct CellRef {
  /// Experiment, e.g. "table1".
  std::string experiment;
  /// Cell, e.g. "clevr6".
  std::string cell;
  /// Final metric name as stored, e.g. "ari_fg".
  std::string metric;
};

/// A run the outlier rule left out, with what identifies it to a reader.
struct DroppedSeed {
  /// Store id of the run.
  int64_t run_id = 0;
  /// Its seed.
  int64_t seed = 0;
  /// Its final reconstruction loss.
  double final_loss = 0.0;
  /// Its robust z-score.
  double robust_z = 0.0;
};

/// Our result for one quantity over seeds: what the table renderers show.
struct CellResult {
  /// Mean over the kept runs, in display units (absent: no data).
  std::optional<double> mean;
  /// Sample standard deviation over the kept runs (absent for fewer than two).
  std::optional<double> std_dev;
  /// Kept values in display units, in seed order (for bootstrap comparisons).
  std::vector<double> values;
  /// Seeds of the kept runs, ascending.
  std::vector<int64_t> seeds_used;
  /// Runs dropped by the outlier rule.
  std::vector<DroppedSeed> dropped;
  /// Runs not aggregated because they did not finish, e.g. "1 stale (killed), 1 failed".
  std::string not_counted;
  /// Finished runs replaced by a later run of the same seed, e.g. "run 4 (seed 0)".
  std::string superseded;
  /// OutlierRule::describe() of the rule applied ("" when no data).
  std::string rule;
  /// Set when kept runs trained on generated data standing in for the paper's (DataSource::note),
  /// prefixed by "k of n runs: " when only some did; a footnote of the cell in every rendering.
  std::string data_note;
  /// Why there is no value, e.g. "no data: run `runexp data convert clevr6 ...`".
  std::string missing_reason;
  /// True when a value is present.
  bool has_value() const { return mean.has_value(); }
};

/// How cells are aggregated.
struct CellOptions {
  /// The outlier rule on the final loss (docs/evaluation.md#outliers).
  OutlierRule rule;
  /// Stored value × scale = displayed value (stored fractions in [0, 1] → percentages).
  double scale = 100.0;
};

/// Aggregates one quantity from the store. `missing_hint` says what to do when there is no data
/// (e.g. "run `runexp data convert clevr6 <dir>`"); a default naming `runexp` is used when empty.
CellResult collect_cell(const Store& store, const CellRef& ref, const CellOptions& options = {},
                        const std::string& missing_hint = "");

/// A cell without data, with its reason (for callers that know a dataset is missing).
CellResult missing_cell(const std::string& reason);

}  // namespace dti::reports
