#pragma once
// One (cell, seed) run, in named steps: its configuration, its data (generated when missing),
// its claim in the results store (idempotent: a finished run is never trained again, an
// interrupted one resumes from its checkpoint), the model built and initialised, training, and
// the evaluation and artifacts recorded.

#include <ATen/ATen.h>

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>

#include "datasets/dataset_file.h"
#include "experiments/config/config.h"
#include "experiments/config/runner_options.h"
#include "experiments/run/run_status.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// Seed of every generated dataset and of random subsets: the data do not depend on the run seed.
constexpr uint64_t kDataSeed = 0;

/// A dataset file that must be converted by the user is missing; what() gives the command.
class MissingData : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The folder of one run (config, checkpoint, images, run_record.h's record and progress):
/// <out>/runs/<store experiment>/<cell>/seed<s>-<first 10 hex digits of the config hash>.
std::string run_folder(const std::string& out_dir, const std::string& store_experiment,
                       const std::string& cell, int64_t seed, const std::string& config_hash);

/// Outcome of one (cell, seed).
struct CellRun {
  std::string cell;                       ///< Cell name.
  int64_t seed = 0;                       ///< Seed.
  RunStatus status = RunStatus::kFailed;  ///< What became of it.
  std::string detail;  ///< Error message, missing-data command, log path, or the key metrics.
};

/// The configuration of `cell` for `seed`: its config file, the preset, the cell's overrides,
/// the user's overrides, then training.seed = seed.
RunConfig cell_config(const CellDefinition& cell, const RunnerOptions& options, int64_t seed);

/// Where the dataset file of `config` lives under `data_dir` (generated sets of another size
/// than the catalogue's default get a file of their own).
std::string dataset_path(const DatasetConfig& dataset, const std::string& data_dir);

/// Whether the catalogue can generate dataset `name` (so a missing file is made, not asked for).
bool is_generated(const std::string& name);

/// Path of the dataset file of `config`, generating it (and saying so on `log`) when it is a
/// generated dataset (Tetrominoes, Multi-dSprites) that is missing; throws MissingData with the
/// exact `runexp data convert` command for the others.
std::string ensure_dataset(const RunConfig& config, const std::string& data_dir, std::ostream& log);

/// The reader of `config`'s dataset file at `path`. A file of another dataset (e.g. the user's
/// own images under a paper config) is refused with what it holds and the commands that fit it,
/// never with one that would overwrite it.
std::shared_ptr<const datasets::DatasetReader> open_dataset(const std::string& path,
                                                            const RunConfig& config);

/// The LibTorch device named by --device; throws dti::Error for an unknown name or a CUDA device
/// this build or machine cannot use.
at::Device parse_device(const std::string& name);

/// Trains and evaluates one (cell, seed) and stores it; never throws for a failed run (the
/// failure is stored and returned).
CellRun run_cell(const ExperimentDefinition& experiment, const CellDefinition& cell, int64_t seed,
                 const RunnerOptions& options, std::ostream& log);

/// Evaluates a checkpoint written by a run (its configuration is stored inside) on its dataset
/// and prints the metrics to `out`.
void evaluate_checkpoint(const std::string& checkpoint, const RunnerOptions& options,
                         std::ostream& out);

}  // namespace dti::experiments
