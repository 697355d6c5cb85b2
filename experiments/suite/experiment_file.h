#pragma once
// Your own experiments as data: a YAML file names a base config, its cells (override lists, or a
// grid whose cartesian product makes them), seeds, the outlier policy, the metrics to compare and
// the baseline cell. `runexp run FILE.yml` trains it like the paper's tables (same launchers,
// store, status, report); `runexp sweep` writes one from a command line. docs/compare.md.
//
//   name: lambda_sweep          # store experiment (default: the file name without .yml)
//   title: "λ on Multi-dSprites"
//   config: multi_dsprites      # base config of every cell (a cell may name its own)
//   seeds: 5
//   outliers: none              # rule | none (docs/evaluation.md#outliers); default rule
//   metrics: [ari_fg, ari]      # default: the config's evaluation protocol's
//   baseline: lambda_empty_sprite=0
//   grid:                       # or cells: [{name: full}, {name: fixed, set:
//   [model.pred_occlusion=false]}]
//     model.lambda_empty_sprite: [0, 1e-4, 1e-3]
//   plot: {parameter: lambda, categorical: true}   # optional: metrics against the swept value
//
// A grid over one key plots against it by itself; `plot` names the parameter when cells are
// listed by hand (their variants read "<parameter>=<value>").
//
// Parsing is strict: an unknown key, an empty grid, duplicate cell names or a baseline that is not
// a cell is a dti::Error naming the file, the key and the valid choices. Whether each cell's
// overrides are valid config keys and values is checked by check_experiment_configs() (run/).

#include <string>
#include <vector>

#include "experiments/suite/registry.h"

namespace dti::experiments {

/// The keys an experiment file may hold, and those of one entry of `cells`.
const std::vector<std::string>& experiment_file_keys();
const std::vector<std::string>& experiment_cell_keys();

/// Reads the experiment file at `path`; `source` of the result is its absolute path.
ExperimentDefinition load_experiment_file(const std::string& path);

/// Same on YAML text; `source_name` names it in messages and becomes `source`.
ExperimentDefinition parse_experiment_file(const std::string& yaml_text,
                                           const std::string& source_name);

/// The keys only the shipped paper experiments may use: `paper_table` (render the paper's Table
/// N beside its numbers) and `store_as` (store the runs under another experiment: Table 5 reads
/// Table 1's).
const std::vector<std::string>& paper_experiment_keys();

/// A shipped paper experiment (share/dtisprites/experiments/<name>.yml): the format above plus
/// paper_experiment_keys(); its name may be a built-in one and its `source` stays "" (launched
/// runs name it, not the file).
ExperimentDefinition parse_paper_experiment_file(const std::string& yaml_text,
                                                 const std::string& source_name);

/// One `--grid key=v1,v2,...` of `runexp sweep`: the key and its values.
struct GridAxis {
  std::string key;
  std::vector<std::string> values;
};

/// The YAML of an experiment file sweeping `grid` (cartesian product, first value of each axis
/// first) over `config`, with `seeds` seeds; the first cell is the baseline.
std::string sweep_file_text(const std::string& name, const std::string& config,
                            const std::vector<GridAxis>& grid, int seeds);

/// A registered experiment by name, or an experiment file by path (a name ending in .yml or
/// .yaml, or an existing file); throws dti::Error listing the registered names otherwise.
ExperimentDefinition resolve_experiment(const std::string& name_or_file);

}  // namespace dti::experiments
