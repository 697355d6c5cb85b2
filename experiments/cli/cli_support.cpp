#include "experiments/cli/cli_support.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"
#include "core/runtime.h"
#include "experiments/config/presets.h"
#include "experiments/launch/gpu_placement.h"
#include "experiments/run/device_choice.h"

namespace dti::experiments::cli {
namespace po = boost::program_options;

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

void add_parallel_options(po::options_description& desc, RunnerOptions& o) {
  desc.add_options()("jobs", po::value(&o.jobs)->default_value(1),
                     "runs in parallel (child processes sharing the threads; with --device cuda "
                     "spread over the GPUs)")(
      "runs-per-gpu", po::value(&o.runs_per_gpu)->default_value(1),
      "with --jobs and --device cuda: runs sharing one GPU at most")(
      "gpus", po::value(&o.gpus),
      "with --jobs and --device cuda: the GPUs to use, e.g. 0,1 (default: CUDA_VISIBLE_DEVICES, "
      "else every GPU)");
}

void check_parallel_options(const RunnerOptions& o) {
  if (o.jobs < 1) throw UsageError("--jobs must be >= 1");
  if (o.runs_per_gpu < 1) throw UsageError("--runs-per-gpu must be >= 1");
  if (!o.gpus.empty()) {
    try {
      parse_gpu_list(o.gpus);
    } catch (const Error& e) {
      throw UsageError(std::string("--gpus: ") + e.what());
    }
  }
}

void add_training_options(po::options_description& desc, RunnerOptions& o) {
  desc.add_options()("no-tensorboard",
                     po::bool_switch()->notifier([&o](bool off) { o.tensorboard = !off; }),
                     "no TensorBoard event files in the run folders (written by default: "
                     "tensorboard --logdir <out>/runs)");
}

void parse(int argc, char** argv, const po::options_description& desc, po::variables_map& vm,
           const po::positional_options_description* positional) {
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
  if (!is_device_name(o.device)) {
    throw UsageError("--device: unknown value '" + o.device + "'; valid: " + kDeviceNames);
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

}  // namespace dti::experiments::cli
