#include "experiments/cli/cli.h"

#include <boost/program_options.hpp>

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "base/strings.h"
#include "experiments/cli/cli_compare.h"
#include "experiments/cli/cli_runs.h"
#include "experiments/cli/cli_support.h"
#include "experiments/cli/data_cli.h"
#include "experiments/config/presets.h"
#include "experiments/launch/runner.h"
#include "experiments/launch/slurm/slurm_cli.h"
#include "experiments/run/run_summary.h"
#include "experiments/suite/experiment_file.h"
#include "experiments/suite/registry.h"
#include "reports/benchmark_import.h"
#include "reports/store.h"

// The dispatch, the command list and the subcommands that read what runs left (list, status,
// collect, show, eval, report); the training subcommands are in cli_runs.cpp, the shared option
// parsing in cli_support.cpp.
namespace dti::experiments {
namespace po = boost::program_options;
namespace {
using cli::check_choice;
using cli::check_common;
using cli::common_options;
using cli::kUsage;
using cli::parse;
using cli::setup_runtime;
using cli::UsageError;

const char* kCommands =
    "runexp: DTI-Sprites experiments (ICCV 2021), trained, evaluated and stored reproducibly.\n\n"
    "usage: runexp <command> [options]   (runexp <command> --help for its options)\n\n"
    "commands:\n"
    "  list                         experiments, datasets and presets\n"
    "  table1 ... table5, fig8, fig9  run an experiment over seeds and print it beside the paper\n"
    "  run FILE.yml                 run your own experiment file (cells or a grid, a baseline)\n"
    "  sweep --config C --grid K=V1,V2  the same from the command line, written as a file\n"
    "  compare EXPERIMENT           each cell against the baseline: difference and 95% interval\n"
    "  train --config FILE          train and evaluate one configuration\n"
    "  eval --checkpoint FILE       evaluate a checkpoint written by a run\n"
    "  report                       render tables and HTML reports from the store; import "
    "benchmarks\n"
    "  data generate|convert|inspect  make and check dataset files\n"
    "  cluster --data FILE --sprites K    train on your own images (converted with data convert "
    "folder)\n"
    "  decompose --data FILE --sprites K --layers L   the same, several object layers\n"
    "  show RUN-ID|FOLDER           summary of one stored run\n"
    "  status [EXPERIMENT]          each run's state, Slurm task, progress and log\n"
    "  collect                      store the runs Slurm tasks left in their run folders\n";

std::vector<std::string> command_names() {
  std::vector<std::string> names = {"list",     "train",   "eval",      "report", "data",
                                    "run-cell", "cluster", "decompose", "show",   "status",
                                    "collect",  "run",     "sweep",     "compare"};
  for (const auto& e : experiment_names()) names.push_back(e);
  return names;
}

int cmd_list(std::ostream& out) {
  out << "experiments:\n";
  for (const auto& e : experiment_definitions()) {
    out << "  " << e.name << ": " << e.description << " [" << e.cells.size() << " cells, "
        << e.seeds << " seeds]\n";
    for (const auto& c : e.cells) out << "      " << c.name << " (config " << c.config << ")\n";
  }
  out << "datasets (configs in " << default_config_dir() << "): " << join(dataset_names()) << "\n";
  out << "presets:\n";
  for (const auto& p : preset_names()) out << "  " << p << ": " << preset_description(p) << "\n";
  return 0;
}

// `runexp status|collect [EXPERIMENT]` (status.h).
int cmd_status(const std::string& command, int argc, char** argv) {
  RunnerOptions o;
  std::string experiment;
  po::options_description desc = common_options(o, o.overrides);
  desc.add_options()("experiment", po::value(&experiment), "one experiment (default: all)");
  po::positional_options_description positional;
  positional.add("experiment", 1);
  po::variables_map vm;
  parse(argc, argv, desc, vm, &positional);
  if (vm.count("help")) {
    std::cout << "usage: runexp " << command << " [EXPERIMENT] [--out DIR] [--db FILE]\n"
              << (command == "status" ? "Each run's state, Slurm task, progress and log.\n"
                                      : "Stores the runs Slurm tasks recorded in their folders.\n")
              << "\n"
              << desc;
    return 0;
  }
  check_common(o);
  if (!experiment.empty()) {
    try {
      resolve_experiment(experiment);  // a paper experiment's name or an experiment file
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
  }
  return status_or_collect(command, experiment, o);
}

// `runexp show RUN-ID|FOLDER` (run_summary.h).
int cmd_show(int argc, char** argv) {
  RunnerOptions o;
  std::string what;
  po::options_description desc("options");
  desc.add_options()("help,h", "show this help")("run", po::value(&what)->required(),
                                                 "run id, or the run's folder under <out>/runs")(
      "out", po::value(&o.out_dir)->default_value("out"), "where the runs and reports are")(
      "db", po::value(&o.db_path),
      "results store (default: the one above the folder given, else <out>/results.sqlite)");
  po::positional_options_description positional;
  positional.add("run", 1);
  po::variables_map vm;
  parse(argc, argv, desc, vm, &positional);
  if (vm.count("help")) {
    std::cout << "usage: runexp show RUN-ID|FOLDER [--out DIR] [--db FILE]\n"
                 "Summary of one stored run: config differences from the paper's, final metrics, "
                 "training-loss sparkline, run folder and report.\n\n"
              << desc;
    return 0;
  }
  if (o.db_path.empty() && vm["out"].defaulted()) {
    const std::string from_folder = store_of_run_folder(what);
    if (!from_folder.empty() && std::filesystem::exists(from_folder)) {
      o.db_path = from_folder;
      o.out_dir = std::filesystem::path(from_folder).parent_path().string();
    }
  }
  if (!std::filesystem::exists(o.store_path())) {
    std::cerr << "runexp show: no results store at " << o.store_path()
              << "; pass --out or --db of the runs\n";
    return 1;
  }
  auto store = reports::Store::open(o.store_path());
  show_run(store, find_run_id(store, what), o, std::cout);
  return 0;
}

int cmd_eval(int argc, char** argv) {
  RunnerOptions o;
  std::string checkpoint;
  po::options_description desc = common_options(o, o.overrides);
  desc.add_options()("checkpoint", po::value(&checkpoint)->required(),
                     "checkpoint written by a run");
  po::variables_map vm;
  parse(argc, argv, desc, vm);
  if (vm.count("help")) {
    std::cout << "usage: runexp eval --checkpoint FILE [--data-dir DIR] [--device D]\n\n" << desc;
    return 0;
  }
  check_common(o);
  setup_runtime(o);
  evaluate_checkpoint(checkpoint, o, std::cout);
  return 0;
}

int cmd_report(int argc, char** argv) {
  RunnerOptions o;
  std::vector<std::string> experiments, benchmarks;
  po::options_description desc = common_options(o, o.overrides);
  desc.add_options()("experiment", po::value(&experiments)->composing(),
                     "experiment(s) to render (default: every one with runs)")(
      "import-bench", po::value(&benchmarks)->composing(),
      "Google Benchmark JSON file(s) to load into the store");
  po::variables_map vm;
  parse(argc, argv, desc, vm);
  if (vm.count("help")) {
    std::cout
        << "usage: runexp report [--experiment NAME]... [--import-bench FILE]... [options]\n\n"
        << desc;
    return 0;
  }
  check_common(o);
  for (const auto& e : experiments) {
    try {
      resolve_experiment(e);
    } catch (const Error& err) {
      throw UsageError(std::string("--experiment: ") + err.what());
    }
  }
  if (!benchmarks.empty()) {
    auto store = open_store(o);
    for (const auto& file : benchmarks) {
      const auto summary = reports::import_benchmark_file(store, file, {});
      std::cout << "imported " << file << ": " << summary.inserted << " benchmark runs\n";
    }
  }
  if (experiments.empty()) {
    if (!std::filesystem::exists(o.store_path())) {
      std::cout << "no results store at " << o.store_path() << " yet: run an experiment first\n";
      return benchmarks.empty() ? 1 : 0;
    }
    auto store = reports::Store::open(o.store_path());
    for (const auto& e : experiment_definitions()) {
      const auto stored = store.experiments();
      if (std::find(stored.begin(), stored.end(), e.store_experiment) != stored.end())
        experiments.push_back(e.name);
    }
  }
  for (const auto& name : experiments) render_results(resolve_experiment(name), o, std::cout);
  return 0;
}

}  // namespace

int runexp_main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kCommands;
    return kUsage;
  }
  const std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kCommands;
    return 0;
  }
  try {
    if (command == "data") return data_main(argc - 1, argv + 1);
    if (command == "list") {
      if (argc > 2 && (std::string(argv[2]) == "--help" || std::string(argv[2]) == "-h")) {
        std::cout << "usage: runexp list\nLists the experiments (cells, seeds), the datasets and "
                     "the presets.\n";
        return 0;
      }
      if (argc > 2) throw UsageError("takes no arguments, got '" + std::string(argv[2]) + "'");
      return cmd_list(std::cout);
    }
    if (command == "show") return cmd_show(argc - 1, argv + 1);
    if (command == "train") return cli::cmd_train(argc - 1, argv + 1);
    if (command == "eval") return cmd_eval(argc - 1, argv + 1);
    if (command == "report") return cmd_report(argc - 1, argv + 1);
    if (command == "run-cell") return cli::cmd_run_cell(argc - 1, argv + 1);
    if (command == "run") return cli::cmd_run_file(argc - 1, argv + 1);
    if (command == "sweep") return cli::cmd_sweep(argc - 1, argv + 1);
    if (command == "compare") return cli::cmd_compare(argc - 1, argv + 1);
    if (command == "status" || command == "collect") return cmd_status(command, argc - 1, argv + 1);
    if (command == "cluster")
      return cli::cmd_own_data(OwnDataCommand::kCluster, argc - 1, argv + 1);
    if (command == "decompose")
      return cli::cmd_own_data(OwnDataCommand::kDecompose, argc - 1, argv + 1);
    const auto names = experiment_names();
    if (std::find(names.begin(), names.end(), command) != names.end()) {
      return cli::cmd_experiment(command, argc - 1, argv + 1);
    }
    std::cerr << "runexp: unknown command '" << command << "'; valid: " << join(command_names())
              << "\n\n"
              << kCommands;
    return kUsage;
  } catch (const UsageError& e) {
    std::cerr << "runexp " << command << ": " << e.what() << " (runexp " << command << " --help)\n";
    return kUsage;
  } catch (const std::exception& e) {
    std::cerr << "runexp " << command << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace dti::experiments
