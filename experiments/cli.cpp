#include "experiments/cli.h"

#include <boost/program_options.hpp>

#include <filesystem>
#include <iostream>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"
#include "core/runtime.h"
#include "datasets/cli.h"
#include "experiments/cell_job.h"
#include "experiments/device_choice.h"
#include "experiments/launcher.h"
#include "experiments/own_data.h"
#include "experiments/presets.h"
#include "experiments/registry.h"
#include "experiments/run_summary.h"
#include "experiments/runner.h"
#include "experiments/slurm_cli.h"
#include "reports/benchmark_import.h"
#include "reports/store.h"

namespace dti::experiments {
namespace po = boost::program_options;
namespace {

constexpr int kUsage = 2;

// A usage error: printed with the command's help, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* kCommands =
    "runexp: DTI-Sprites experiments (ICCV 2021), trained, evaluated and stored reproducibly.\n\n"
    "usage: runexp <command> [options]   (runexp <command> --help for its options)\n\n"
    "commands:\n"
    "  list                         experiments, datasets and presets\n"
    "  table1 ... table5, fig8, fig9  run an experiment over seeds and print it beside the paper\n"
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
  std::vector<std::string> names = {"list",    "train",     "eval", "report", "data",   "run-cell",
                                    "cluster", "decompose", "show", "status", "collect"};
  for (const auto& e : experiment_names()) names.push_back(e);
  return names;
}

po::options_description common_options(RunnerOptions& o, std::vector<std::string>& overrides) {
  po::options_description d("options");
  d.add_options()("help,h", "show this help")(
      "preset", po::value(&o.preset)->default_value("paper"),
      "paper, quick (one GPU, < 1 h per run), demo (Tetrominoes in minutes on a CPU) or smoke "
      "(seconds on a CPU); docs/presets.md")(
      "device", po::value(&o.device)->default_value("auto"),
      "auto (CUDA when built with it and a GPU is visible, else CPU), cpu, cuda or cuda:<index>")(
      "data-dir", po::value(&o.data_dir)->default_value("data"),
      "dataset files (generated ones are made here)")("out",
                                                      po::value(&o.out_dir)->default_value("out"),
                                                      "checkpoints, images, tables and reports")(
      "db", po::value(&o.db_path), "results store (default <out>/results.sqlite)")(
      "threads", po::value(&o.threads)->default_value(0),
      "LibTorch threads (0 = every logical CPU)")(
      "set", po::value(&overrides)->composing(),
      "override a config key, e.g. --set training.optimizer.lr=1e-3 (repeatable)")(
      "quiet", po::bool_switch(&o.quiet), "fewer progress lines");
  return d;
}

void parse(int argc, char** argv, const po::options_description& desc, po::variables_map& vm,
           const po::positional_options_description* positional = nullptr) {
  try {
    auto parser = po::command_line_parser(argc, argv).options(desc);
    if (positional) parser.positional(*positional);
    po::store(parser.run(), vm);
    // --help wins over every check, required options included (exit 0 with the help).
    if (vm.count("help")) return;
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
}

void check_choice(const std::string& what, const std::string& value,
                  const std::vector<std::string>& valid) {
  if (std::find(valid.begin(), valid.end(), value) == valid.end()) {
    throw UsageError(what + ": unknown value '" + value + "'; valid: " + join(valid));
  }
}

void check_common(const RunnerOptions& o) {
  check_choice("--preset", o.preset, preset_names());
  const bool device_ok = o.device == "auto" || o.device == "cpu" || o.device == "cuda" ||
                         o.device.rfind("cuda:", 0) == 0;
  if (!device_ok) {
    throw UsageError("--device: unknown value '" + o.device +
                     "'; valid: auto, cpu, cuda, cuda:<index>");
  }
  if (o.threads < 0) throw UsageError("--threads must be >= 0");
}

std::vector<int64_t> parse_seeds(const std::string& text, int default_count) {
  std::vector<int64_t> seeds;
  if (text.empty()) {
    for (int i = 0; i < default_count; ++i) seeds.push_back(i);
    return seeds;
  }
  try {
    if (text.find(',') == std::string::npos) {
      const int n = std::stoi(text);
      if (n < 1)
        throw UsageError("--seeds: expected a count >= 1 or a list such as 0,3,7, got " + text);
      for (int i = 0; i < n; ++i) seeds.push_back(i);
    } else {
      std::stringstream in(text);
      std::string part;
      while (std::getline(in, part, ',')) seeds.push_back(std::stoll(part));
    }
  } catch (const std::invalid_argument&) {
    throw UsageError("--seeds: expected a count or a comma-separated list of seeds, got '" + text +
                     "'");
  }
  return seeds;
}

// Threads, then the device: --device auto is resolved here, once, so child processes and the
// stored run name the device used; the header says which and why (stderr, with the progress).
void setup_runtime(RunnerOptions& o) {
  core::RuntimeOptions runtime;
  runtime.threads = o.threads;
  core::configure_runtime(runtime);
  const auto choice = choose_device(o.device);
  if (!o.quiet) std::cerr << device_header(choice) << std::endl;
  o.device = choice.device;
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

int cmd_experiment(const std::string& name, int argc, char** argv) {
  const auto& experiment = find_experiment(name);
  RunnerOptions o;
  std::string seeds_text;
  po::options_description desc = common_options(o, o.overrides);
  desc.add_options()(
      "seeds", po::value(&seeds_text),
      "number of seeds (first N) or a list such as 0,2,5 (default: the paper's count)")(
      "jobs", po::value(&o.jobs)->default_value(1),
      "runs in parallel (child processes sharing the threads)")(
      "dry-run", po::bool_switch(&o.dry_run),
      "print the plan (cells, seeds, data, estimated time) and stop");
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
  if (o.jobs < 1) throw UsageError("--jobs must be >= 1");
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
                 "[--quiet]\nRuns one (cell, seed) of an experiment; launchers start it (--jobs, "
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
                              : find_experiment(job.experiment);
  for (const auto& cell : experiment.cells) {
    if (cell.name != job.cell) continue;
    return run_cell_job(experiment, cell, job);
  }
  throw UsageError("unknown cell '" + job.cell + "' of " + job.experiment);
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
  if (!experiment.empty()) check_choice("EXPERIMENT", experiment, experiment_names());
  return status_or_collect(command, experiment, o);
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
      "number of seeds (first N) or a list such as 0,2,5 (default 1)")(
      "jobs", po::value(&o.jobs)->default_value(1),
      "runs in parallel (child processes sharing the threads)");
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
  if (o.jobs < 1) throw UsageError("--jobs must be >= 1");
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
  for (const auto& e : experiments) check_choice("--experiment", e, experiment_names());
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
  for (const auto& name : experiments) render_results(find_experiment(name), o, std::cout);
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
    if (command == "data") return datasets::data_main(argc - 1, argv + 1);
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
    if (command == "train") return cmd_train(argc - 1, argv + 1);
    if (command == "eval") return cmd_eval(argc - 1, argv + 1);
    if (command == "report") return cmd_report(argc - 1, argv + 1);
    if (command == "run-cell") return cmd_run_cell(argc - 1, argv + 1);
    if (command == "status" || command == "collect") return cmd_status(command, argc - 1, argv + 1);
    if (command == "cluster") return cmd_own_data(OwnDataCommand::kCluster, argc - 1, argv + 1);
    if (command == "decompose") return cmd_own_data(OwnDataCommand::kDecompose, argc - 1, argv + 1);
    const auto names = experiment_names();
    if (std::find(names.begin(), names.end(), command) != names.end()) {
      return cmd_experiment(command, argc - 1, argv + 1);
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
