#pragma once
// `runexp show RUN-ID|FOLDER`: a terminal summary of one stored run: what ran (experiment, cell,
// seed, status, device, time), how its configuration differs from the paper's, its final
// metrics, its training-loss curve as a sparkline, and where its folder and report are.

#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "experiments/config/runner_options.h"
#include "reports/store.h"

namespace dti::experiments {

/// The keys of a canonical config text (to_yaml()) as (dotted key, value) pairs, in order.
std::vector<std::pair<std::string, std::string>> flatten_config(const std::string& yaml_text);

/// "key: before → after" lines for the keys whose values differ (keys of only one side included).
std::vector<std::string> config_differences(const std::string& before, const std::string& after);

/// `values` as a line of at most `width` block characters (▁ lowest … █ highest); "" when empty.
std::string sparkline(const std::vector<double>& values, size_t width = 40);

/// The store of a run folder <out>/runs/<experiment>/<cell>/seed<S>-<hash>: <out>/results.sqlite;
/// "" when `folder` is not under a `runs` folder.
std::string store_of_run_folder(const std::string& folder);

/// The run named by `what`: a run id, or a run folder (matched by its seed and config hash
/// prefix). Throws dti::Error saying what was looked for and how to list the runs.
int64_t find_run_id(const reports::Store& store, const std::string& what);

/// Prints the summary of run `run_id` (report paths under options.out_dir).
void show_run(const reports::Store& store, int64_t run_id, const RunnerOptions& options,
              std::ostream& out);

}  // namespace dti::experiments
