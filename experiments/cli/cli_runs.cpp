#include "experiments/cli/cli_runs.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "base/error.h"
#include "experiments/cli/cli_support.h"
#include "experiments/config/presets.h"
#include "experiments/launch/cell_job.h"
#include "experiments/launch/launcher.h"
#include "experiments/launch/plan.h"
#include "experiments/launch/runner.h"
#include "experiments/launch/slurm/slurm_cli.h"
#include "experiments/suite/experiment_file.h"
#include "experiments/suite/registry.h"
#include "reports/store.h"

namespace dti::experiments::cli {
namespace po = boost::program_options;

int cmd_experiment(const std::string& name, int argc, char** argv) {
  const auto& experiment = find_experiment(name);
  RunnerOptions o;
  std::string seeds_text;
  po::options_description desc = common_options(o, o.overrides);
  desc.add_options()(
      "seeds", po::value(&seeds_text),
      "number of seeds (first N) or a list such as 0,2,5 (default: the paper's count)")(
      "dry-run", po::bool_switch(&o.dry_run),
      "print the plan (cells, seeds, data, estimated time, placement) and stop");
  add_parallel_options(desc, o);
  add_training_options(desc, o);
  desc.add(launcher_options(o));
  po::variables_map vm;
  parse(argc, argv, desc, vm);
  if (vm.count("help")) {
    std::cout << "usage: runexp " << name << " [options]\n"
              << experiment.description << "\n\n"
              << desc;
    return 0;
  }
  check_common(o);
  check_parallel_options(o);
  check_launcher_options(o);
  const auto seeds = parse_seeds(seeds_text, experiment.seeds);
  setup_runtime(o);
  if (o.dry_run && o.launcher != "slurm") {  // slurm: --dry-run prints the batch script
    print_plan(experiment, seeds, o, std::cout);
    return 0;
  }
  return run_experiment(experiment, seeds, o, std::cout, std::cerr);
}

// The child side of a launcher: `runexp run-cell EXPERIMENT --cell C --seed S ...`, the command
// line cell_job.h builds and parses. Its exit code is the run's status (run_status.h).
int cmd_run_cell(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::cout << "usage: runexp run-cell EXPERIMENT --cell NAME --seed S [--preset P] [--device D] "
                 "[--data-dir DIR] [--out DIR] [--db FILE] [--threads N] [--set K=V]... "
                 "[--quiet] [--no-tensorboard]\nRuns one (cell, seed) of an experiment; launchers "
                 "start it (--jobs, "
                 "Slurm). The exit code says what became of the run: 0 finished, 1 failed, 3 "
                 "missing data.\n";
    return 0;
  }
  CellJob job;
  try {
    job = parse_cell_job_args(args);
  } catch (const Error& e) {
    throw UsageError(e.what());
  }
  check_common(job.options);
  setup_runtime(job.options);
  const auto experiment = is_own_data_experiment(job.experiment)
                              ? own_data_experiment(job.experiment, job.cell, job.options)
                              : resolve_experiment(job.experiment);
  for (const auto& cell : experiment.cells) {
    if (cell.name != job.cell) continue;
    return run_cell_job(experiment, cell, job);
  }
  throw UsageError("unknown cell '" + job.cell + "' of " + job.experiment);
}

int cmd_train(int argc, char** argv) {
  RunnerOptions o;
  std::string config;
  int64_t seed = -1;
  bool resume = false;
  po::options_description desc = common_options(o, o.overrides);
  desc.add_options()("config", po::value(&config)->required(),
                     "config name (e.g. tetrominoes) or YAML file")(
      "seed", po::value(&seed), "seed (default: the config's training.seed)")(
      "resume", po::bool_switch(&resume),
      "require an interrupted run of this configuration and continue it");
  add_training_options(desc, o);
  po::variables_map vm;
  parse(argc, argv, desc, vm);
  if (vm.count("help")) {
    std::cout << "usage: runexp train --config FILE [--seed S] [options]\n\n" << desc;
    return 0;
  }
  check_common(o);
  setup_runtime(o);
  const std::string path = resolve_config_path(config);
  if (seed < 0) seed = static_cast<int64_t>(load_config(path, o.preset, o.overrides).seed);
  CellDefinition cell{std::filesystem::path(path).stem().string(), path, "", {}};
  ExperimentDefinition experiment{"train", "single runs of runexp train", "train", 0, 1, {cell}, "",
                                  false};
  if (resume) {
    auto c = cell_config(cell, o, seed);
    bool found = false;
    if (std::filesystem::exists(o.store_path())) {
      auto store = reports::Store::open(o.store_path());
      found = store.find_unfinished_run({"train", cell.name, seed, config_hash(c)}).has_value();
    }
    if (!found) {
      std::cerr << "runexp train --resume: no interrupted run of " << path << " with seed " << seed
                << " in " << o.store_path() << "; run without --resume to start one\n";
      return 1;
    }
  }
  const auto result = run_cell(experiment, cell, seed, o, std::cerr);
  std::cout << cell.name << " seed " << seed << ": " << status_name(result.status)
            << (result.detail.empty() ? "" : " (" + result.detail + ")") << "\n";
  return exit_code(result.status);
}

// `runexp cluster|decompose --data FILE ...`: the user's own images (own_data.h).
int cmd_own_data(OwnDataCommand command, int argc, char** argv) {
  const std::string name = own_data_name(command);
  RunnerOptions o;
  OwnDataRequest request;
  request.command = command;
  std::string seeds_text;
  po::options_description desc = common_options(o, o.overrides);
  desc.add_options()("data", po::value(&request.data)->required(),
                     "dataset file made by `runexp data convert folder --input DIR --out FILE`")(
      "sprites", po::value(&request.sprites)->default_value(0),
      "sprites K (model.n_sprites; 0 = the config's)");
  if (command == OwnDataCommand::kDecompose) {
    desc.add_options()("layers", po::value(&request.layers)->default_value(0),
                       "object layers L (model.n_objects; 0 = the config's)");
  }
  desc.add_options()("config", po::value(&request.config),
                     ("config name or YAML file (default: the shipped " + name + ".yml)").c_str())(
      "seeds", po::value(&seeds_text),
      "number of seeds (first N) or a list such as 0,2,5 (default 1)");
  add_parallel_options(desc, o);
  add_training_options(desc, o);
  po::variables_map vm;
  parse(argc, argv, desc, vm);
  if (vm.count("help")) {
    std::cout << "usage: runexp " << name << " --data FILE --sprites K"
              << (command == OwnDataCommand::kDecompose ? " --layers L" : "") << " [options]\n"
              << (command == OwnDataCommand::kCluster
                      ? "Clusters your images: one object layer over a background; accuracy and "
                        "NMI when the file has labels.\n"
                      : "Decomposes your images into L object layers over a background.\n")
              << "Image size, labels and masks come from the file; runs, tables and reports are "
                 "stored as the paper experiments' (docs/presets.md#your-own-images).\n\n"
              << desc;
    return 0;
  }
  check_common(o);
  check_parallel_options(o);
  if (request.sprites < 0 || request.layers < 0)
    throw UsageError("--sprites and --layers must be >= 1 (0 = the config's)");
  const auto seeds = parse_seeds(seeds_text, 1);
  setup_runtime(o);
  const auto experiment = prepare_own_data(request, o);
  std::vector<CellJob> jobs;
  for (int64_t seed : seeds) jobs.push_back({name, experiment.cells.front().name, seed, o});
  const auto results = make_local_launcher(o)->run(experiment, jobs, std::cerr);
  int failed = 0;
  for (const auto& r : results) {
    std::cout << name << " " << r.cell << " seed " << r.seed << ": " << status_name(r.status)
              << (r.detail.empty() ? "" : " (" + r.detail + ")") << "\n";
    failed += r.status != RunStatus::kFinished && r.status != RunStatus::kAlreadyFinished;
  }
  render_own_data(experiment, o, std::cout);
  return failed > 0 ? 1 : 0;
}

}  // namespace dti::experiments::cli
