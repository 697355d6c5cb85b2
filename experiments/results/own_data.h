#pragma once
// Your own images as a first-class dataset: `runexp cluster --data FILE --sprites K` (one object
// layer over a background; clustering metrics when the file has labels) and `runexp decompose
// --data FILE --sprites K --layers L` (several object layers), on a file made by `runexp data
// convert folder`. Image size, labels and masks come from the file; the default configs are
// experiments/configs/cluster.yml and decompose.yml (docs/presets.md#your-own-images). Runs are
// stored and reported like the paper's experiments, under the experiment "cluster" or
// "decompose" and a cell named after the file.

#include <iosfwd>
#include <string>
#include <vector>

#include "datasets/dataset_file.h"
#include "experiments/config/runner_options.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {

/// The two own-data commands.
enum class OwnDataCommand { kCluster, kDecompose };

/// "cluster" or "decompose": the command, its store experiment and its default config.
std::string own_data_name(OwnDataCommand command);

/// Whether `experiment` is "cluster" or "decompose".
bool is_own_data_experiment(const std::string& experiment);

/// What the user asked for.
struct OwnDataRequest {
  OwnDataCommand command = OwnDataCommand::kCluster;
  std::string data;     ///< The dataset file (made by `runexp data convert folder`).
  int64_t sprites = 0;  ///< model.n_sprites; 0 = the config's.
  int64_t layers = 0;   ///< decompose: model.n_objects; 0 = the config's.
  std::string config;   ///< Config name or file; "" = the shipped cluster / decompose.
};

/// The overrides that fit the config to the file `info` at `data` describes: the dataset section
/// (name folder, file, image size, protocol from its labels and masks), the sprites and layers
/// asked for and, on the shipped config only, the encoder and sprite size for the image size.
std::vector<std::string> own_data_overrides(const OwnDataRequest& request,
                                            const datasets::DatasetInfo& info);

/// Checks the file, writes the resolved config to <out>/configs/<command>/<cell>.yml, points
/// options.data_dir at the file's folder and returns the one-cell experiment. Throws dti::Error
/// saying what the file holds and what the command needs (never suggesting to overwrite it).
ExperimentDefinition prepare_own_data(const OwnDataRequest& request, RunnerOptions& options);

/// The experiment prepare_own_data() made, found again from its config file (for `runexp
/// run-cell cluster|decompose`, the child processes of --jobs).
ExperimentDefinition own_data_experiment(const std::string& experiment, const std::string& cell,
                                         const RunnerOptions& options);

/// Prints every stored run of the experiment's cell (seed, status, metrics, mean ± std) with a
/// line saying which preset made them, writes it to <out>/tables/<command>_<cell>.md and the
/// HTML report to <out>/reports/<command>/.
void render_own_data(const ExperimentDefinition& experiment, const RunnerOptions& options,
                     std::ostream& out);

}  // namespace dti::experiments
