#pragma once
// The registered experiments: what `runexp table1` ... `runexp fig9` train and evaluate, read from
// the shipped files experiments/paper/*.yml (installed under share/dtisprites/experiments). Each
// declares its cells (one table entry = one configuration + overrides), its seeds, and which paper
// table or figure it reproduces; the cell names are the contract with reports/paper_tables.cpp.

#include <string>
#include <vector>

#include "reports/aggregate.h"

namespace dti::experiments {

/// One cell: a configuration, the overrides that make its variant, and how it is named.
struct CellDefinition {
  /// Cell name in the store, e.g. "tetrominoes" or "multi_dsprites/fixed_occlusion".
  std::string name;
  /// Config name (experiments/configs/<config>.yml).
  std::string config;
  /// Variant label, e.g. "full", "exhaustive", "K=19", "lambda=1e-4".
  std::string variant;
  /// `key=value` overrides applied after the preset (before the user's --set).
  std::vector<std::string> overrides;
};

/// One experiment: the cells of a table or figure and its seeds.
struct ExperimentDefinition {
  /// Name, also the `runexp` subcommand: table1 ... table5, fig8, fig9.
  std::string name;
  /// One-line description (what the paper reports there).
  std::string description;
  /// Experiment name the runs are stored under (table5 reuses table1's runs).
  std::string store_experiment;
  /// Paper table number rendered after the runs (0 for figures).
  int table = 0;
  /// Seeds per cell in the paper (5 for decomposition, 10 for clustering).
  int seeds = 5;
  /// The cells.
  std::vector<CellDefinition> cells;
  /// Figures: the parameter the cells sweep ("K", "lambda"; variants read "<parameter>=<value>");
  /// "" for tables.
  std::string sweep_parameter;
  /// Whether the swept values are categories on the plot's x axis (λ includes 0).
  bool sweep_categorical = false;
  /// Outlier policy of the experiment's table (docs/evaluation.md#outliers), as the paper did:
  /// rule in Tables 1, 3, 4, 5; none in Table 2 and the figures (every seed shown).
  reports::OutlierPolicy outlier_policy = reports::OutlierPolicy::kRule;
  /// The cell every other cell is compared with (difference of means and its bootstrap interval);
  /// "" for none. Experiment files (experiment_file.h) only.
  std::string baseline;
  /// Metrics the comparison table shows (store keys); empty: the evaluation protocol's.
  std::vector<std::string> metrics;
  /// The experiment file this was read from (absolute), "" for the paper's experiments. Launched
  /// runs name it, so that a child process reads the same definition.
  std::string source;
};

/// Every registered experiment, in `runexp list` order.
const std::vector<ExperimentDefinition>& experiment_definitions();

/// The experiment named `name`; unknown names raise dti::Error listing the valid ones.
const ExperimentDefinition& find_experiment(const std::string& name);

/// Names of the registered experiments.
std::vector<std::string> experiment_names();

/// The cell `name` of `experiment`; throws dti::Error naming the experiment's cells otherwise.
const CellDefinition& find_cell(const ExperimentDefinition& experiment, const std::string& name);

}  // namespace dti::experiments
