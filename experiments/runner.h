#pragma once
// Runs experiments: one (cell, seed) at a time — data made or checked, the run claimed in the
// results store (idempotent: a finished run with the same configuration is never trained
// again, an interrupted one resumes from its checkpoint), trained, evaluated, stored — and the
// table or figure rendered beside the paper's numbers.

#include <cstdint>
#include <iosfwd>
#include <stdexcept>
#include <string>
#include <vector>

#include "experiments/config.h"
#include "experiments/registry.h"
#include "reports/store.h"

namespace dti::experiments {

/// Settings shared by the runs of one `runexp` invocation.
struct RunnerOptions {
  std::string data_dir = "data";       ///< Where dataset files live (generated ones are made here).
  std::string out_dir = "out";         ///< Checkpoints, artifacts, tables and reports.
  std::string db_path;                 ///< Results store; "" = <out_dir>/results.sqlite.
  std::string device = "cpu";          ///< cpu, cuda or cuda:<i>.
  std::string preset = "paper";        ///< paper, quick or smoke.
  std::vector<std::string> overrides;  ///< The user's --set key=value, applied last.
  int threads = 0;                     ///< LibTorch threads (0 = all logical CPUs).
  int jobs = 1;                        ///< Runs in parallel (child processes).
  bool dry_run = false;                ///< Print the plan only.
  bool quiet = false;                  ///< Fewer progress lines.
  std::string self_path;  ///< The runexp executable (to spawn jobs); "" = /proc/self/exe.
  /// The results store path with its default resolved.
  std::string store_path() const;
};

/// Opens (creating its folder and file when needed) the results store of `options`.
reports::Store open_store(const RunnerOptions& options);

/// A dataset file that must be converted by the user is missing; what() gives the command.
class MissingData : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Outcome of one (cell, seed).
struct CellRun {
  std::string cell;    ///< Cell name.
  int64_t seed = 0;    ///< Seed.
  std::string status;  ///< finished, already finished, running elsewhere, missing data, failed.
  std::string detail;  ///< Error message, missing-data command, or the key metrics.
};

/// The configuration of `cell` for `seed`: its config file, the preset, the cell's overrides,
/// the user's overrides, then training.seed = seed.
RunConfig cell_config(const CellDefinition& cell, const RunnerOptions& options, int64_t seed);

/// Path of the dataset file of `config`, generating it (and saying so on `log`) when it is a
/// generated dataset (Tetrominoes, Multi-dSprites) that is missing; throws MissingData with the
/// exact `runexp data convert` command for the others.
std::string ensure_dataset(const RunConfig& config, const std::string& data_dir, std::ostream& log);

/// Trains and evaluates one (cell, seed) and stores it; never throws for a failed run (the
/// failure is stored and returned).
CellRun run_cell(const ExperimentDefinition& experiment, const CellDefinition& cell, int64_t seed,
                 const RunnerOptions& options, std::ostream& log);

/// Runs every cell of `experiment` over `seeds` (in parallel when options.jobs > 1), then prints
/// the paper table (or the figure's sweep) to `out` and writes tables and the HTML report under
/// out_dir. Returns 0 when every run finished or was missing data, 1 when some run failed.
int run_experiment(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                   const RunnerOptions& options, std::ostream& out, std::ostream& log);

/// Prints what run_experiment() would do: cells, seeds, data, runs already stored, estimated time.
void print_plan(const ExperimentDefinition& experiment, const std::vector<int64_t>& seeds,
                const RunnerOptions& options, std::ostream& out);

/// Renders the tables (Markdown, LaTeX, CSV) and the HTML report of `experiment` from the store;
/// prints the Markdown table (or sweep summary) to `out`.
void render_results(const ExperimentDefinition& experiment, const RunnerOptions& options,
                    std::ostream& out);

/// Evaluates a checkpoint written by a run (its configuration is stored inside) on its dataset
/// and prints the metrics to `out`.
void evaluate_checkpoint(const std::string& checkpoint, const RunnerOptions& options,
                         std::ostream& out);

}  // namespace dti::experiments
