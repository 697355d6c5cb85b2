#pragma once
// Every metric a run stores, in one table: its key in the store, its label in tables, whether it
// is a fraction in [0, 1] (shown as a percentage) and whether a one-line run summary shows it.
// The scorers (scorers.h) write these keys; summaries and own-data tables read this table.

#include <map>
#include <string>
#include <vector>

#include "experiments/config/config.h"

namespace dti::experiments {

struct MetricInfo {
  const char* key;    ///< Name in the store ("ari_fg").
  const char* label;  ///< Name in tables ("ARI-FG").
  bool fraction;      ///< A value in [0, 1], shown as a percentage with one decimal.
  bool headline;      ///< Shown in one-line run summaries ("finished (ari_fg=0.93 ...)").
};

/// The metrics in display order: the paper's headline metrics first, the loss last.
const std::vector<MetricInfo>& metric_table();

/// The entry of `key`, or nullptr for a key the table does not know.
const MetricInfo* find_metric(const std::string& key);

/// A value as tables show it: a fraction as a percentage with one decimal ("93.4"), anything
/// else (losses, counts, unknown keys) with four significant digits.
std::string format_metric(const std::string& key, double value);

/// "ari_fg=0.9341 ari=0.8123 ... loss=0.0123": the headline metrics present, in table order, as
/// stored (not as percentages).
std::string headline_metrics(const std::map<std::string, double>& metrics);

/// The columns of an evaluation protocol's summary table: its headline metrics, then the loss.
std::vector<std::string> protocol_metrics(EvalProtocol protocol);

}  // namespace dti::experiments
