// `runexp run FILE.yml`, `runexp sweep` and `runexp compare` (experiment_file.h, comparison.h):
// your own experiments through the same launchers, store and reports as the paper's.
#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>

#include "base/error.h"
#include "base/strings.h"
#include "experiments/cli/cli_compare.h"
#include "experiments/cli/cli_support.h"
#include "experiments/config/output_layout.h"
#include "experiments/launch/plan.h"
#include "experiments/launch/runner.h"
#include "experiments/launch/slurm/slurm_cli.h"
#include "experiments/results/comparison.h"
#include "experiments/run/cell_run.h"
#include "experiments/suite/experiment_file.h"
#include "reports/atomic_file.h"

namespace dti::experiments::cli {
namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

// Every cell's configuration loads with its overrides, and the metrics exist, before any run.
void check_before_running(const ExperimentDefinition& e, const RunnerOptions& o) {
  for (const auto& cell : e.cells) {
    try {
      cell_config(cell, o, 0);
    } catch (const Error& err) {
      throw UsageError(e.source + ": cell '" + cell.name + "': " + err.what());
    }
  }
  try {
    comparison_metrics(e, o, {});
  } catch (const Error& err) {
    throw UsageError(e.source + ": metrics: " + err.what());
  }
}

// The options every command that trains an experiment takes.
po::options_description run_options(RunnerOptions& o, std::string& seeds_text) {
  po::options_description desc = common_options(o, o.overrides);
  desc.add_options()("seeds", po::value(&seeds_text),
                     "number of seeds (first N) or a list such as 0,2,5 (default: the file's)")(
      "dry-run", po::bool_switch(&o.dry_run),
      "print the plan (cells, seeds, data, estimated time, placement) and stop");
  add_parallel_options(desc, o);
  add_training_options(desc, o);
  desc.add(launcher_options(o));
  return desc;
}

int launch(const ExperimentDefinition& e, RunnerOptions& o, const std::string& seeds_text) {
  check_common(o);
  check_parallel_options(o);
  check_launcher_options(o);
  check_before_running(e, o);
  const auto seeds = parse_seeds(seeds_text, e.seeds);
  setup_runtime(o);
  if (o.dry_run && o.launcher != "slurm") {
    print_plan(e, seeds, o, std::cout);
    return 0;
  }
  return run_experiment(e, seeds, o, std::cout, std::cerr);
}

ExperimentDefinition load_or_usage(const std::string& file) {
  try {
    return load_experiment_file(file);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
}

// "model.n_sprites=4,6" -> {model.n_sprites, [4, 6]}.
GridAxis parse_grid(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    throw UsageError("--grid " + text + ": expected KEY=V1,V2,... (e.g. model.n_sprites=4,6)");
  }
  GridAxis axis{text.substr(0, eq), split(text.substr(eq + 1), ',', /*trim=*/true)};
  for (const auto& v : axis.values) {
    if (v.empty()) throw UsageError("--grid " + text + ": an empty value between commas");
  }
  return axis;
}

}  // namespace

int cmd_run_file(int argc, char** argv) {
  RunnerOptions o;
  std::string file, seeds_text;
  po::options_description desc = run_options(o, seeds_text);
  desc.add_options()("file", po::value(&file)->required(), "the experiment file (YAML)");
  po::positional_options_description positional;
  positional.add("file", 1);
  po::variables_map vm;
  parse(argc, argv, desc, vm, &positional);
  if (vm.count("help")) {
    std::cout << "usage: runexp run FILE.yml [options]\nTrains every cell of an experiment file "
                 "over its seeds, stores the runs under its name and prints its table (with "
                 "each cell against the baseline). docs/compare.md.\n\n"
              << desc;
    return 0;
  }
  return launch(load_or_usage(file), o, seeds_text);
}

int cmd_sweep(int argc, char** argv) {
  RunnerOptions o;
  std::string config, name, seeds_text;
  std::vector<std::string> grids;
  po::options_description desc = run_options(o, seeds_text);
  desc.add_options()("config", po::value(&config)->required(), "base config (name or file)")(
      "grid", po::value(&grids)->composing(),
      "KEY=V1,V2,...: a config key and its values (repeat for a cartesian product)")(
      "name", po::value(&name), "experiment name (default: sweep_<config>_<keys>)");
  po::variables_map vm;
  parse(argc, argv, desc, vm);
  if (vm.count("help")) {
    std::cout << "usage: runexp sweep --config C --grid KEY=V1,V2,... [--grid ...] --seeds N "
                 "[--name NAME] [options]\nWrites <out>/experiments/NAME.yml (the first value of "
                 "each grid is the baseline) and runs it like `runexp run`. docs/compare.md.\n\n"
              << desc;
    return 0;
  }
  if (grids.empty()) throw UsageError("--grid KEY=V1,V2,... is required");
  std::vector<GridAxis> axes;
  std::vector<std::string> keys;
  for (const auto& g : grids) {
    axes.push_back(parse_grid(g));
    const auto& key = axes.back().key;
    keys.push_back(key.substr(key.rfind('.') + 1));
  }
  if (name.empty()) name = "sweep_" + fs::path(config).stem().string() + "_" + join(keys, "_");
  const std::string path = layout::experiment_file(o.out_dir, name);
  const int seeds = seeds_text.empty() ? 5 : static_cast<int>(parse_seeds(seeds_text, 5).size());
  std::string text;
  try {
    text = sweep_file_text(name, config, axes, seeds);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  auto experiment = parse_experiment_file(text, fs::absolute(path).lexically_normal().string());
  check_before_running(experiment, o);  // nothing written for a sweep that cannot run
  fs::create_directories(fs::path(path).parent_path());
  reports::write_file_atomically(path, text);
  std::cerr << "sweep: " << experiment.cells.size() << " cells in " << path << std::endl;
  return launch(experiment, o, seeds_text);
}

int cmd_compare(int argc, char** argv) {
  RunnerOptions o;
  std::string name;
  ComparisonOptions compare;
  compare.after_run = false;
  po::options_description desc = common_options(o, o.overrides);
  desc.add_options()("experiment", po::value(&name)->required(),
                     "a paper experiment's name or an experiment file")(
      "baseline", po::value(&compare.baseline), "the cell to compare with (default: the file's)")(
      "metric", po::value(&compare.metrics)->composing(), "a metric to show (repeatable)");
  po::positional_options_description positional;
  positional.add("experiment", 1);
  po::variables_map vm;
  parse(argc, argv, desc, vm, &positional);
  if (vm.count("help")) {
    std::cout << "usage: runexp compare EXPERIMENT [--baseline CELL] [--metric M]...\nEach cell's "
                 "metrics over the stored seeds and its difference to the baseline with a 95% "
                 "bootstrap interval. docs/compare.md.\n\n"
              << desc;
    return 0;
  }
  check_common(o);
  ExperimentDefinition experiment;
  try {
    experiment = resolve_experiment(name);
    if (!compare.baseline.empty()) find_cell(experiment, compare.baseline);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  if (!fs::exists(o.store_path())) {
    std::cout << "no results store at " << o.store_path() << " yet: run the experiment first\n";
    return 1;
  }
  const auto store = reports::Store::open(o.store_path());
  std::cout << render_comparison(experiment, o, store, compare);
  return 0;
}

}  // namespace dti::experiments::cli
