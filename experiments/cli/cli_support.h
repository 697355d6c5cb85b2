#pragma once
// What every `runexp` subcommand shares (cli.cpp, cli_runs.cpp): the usage error (exit code 2),
// the common options and their checks, --seeds, and the runtime set-up (threads, --device).

#include <boost/program_options.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "experiments/config/runner_options.h"

namespace dti::experiments::cli {

/// The exit code of a usage error.
constexpr int kUsage = 2;

/// A usage error: printed with the command's help, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// --help, --preset, --device, --data-dir, --out, --db, --threads, --set and --quiet, bound to `o`
/// and `overrides`.
boost::program_options::options_description common_options(RunnerOptions& o,
                                                           std::vector<std::string>& overrides);

/// --jobs, --runs-per-gpu and --gpus (local runs in parallel, gpu_placement.h).
void add_parallel_options(boost::program_options::options_description& desc, RunnerOptions& o);

/// Checks --jobs, --runs-per-gpu and --gpus.
void check_parallel_options(const RunnerOptions& o);

/// --no-tensorboard (clears o.tensorboard), for the subcommands that train.
void add_training_options(boost::program_options::options_description& desc, RunnerOptions& o);

/// Parses argv into `vm`; --help skips every check (required options included). Throws
/// UsageError for what Boost rejects.
void parse(int argc, char** argv, const boost::program_options::options_description& desc,
           boost::program_options::variables_map& vm,
           const boost::program_options::positional_options_description* positional = nullptr);

/// Throws UsageError naming `what`, `value` and the valid choices when `value` is not one.
void check_choice(const std::string& what, const std::string& value,
                  const std::vector<std::string>& valid);

/// Checks --preset, --device and --threads.
void check_common(const RunnerOptions& o);

/// --seeds: empty gives 0..default_count-1, "N" gives 0..N-1, "a,b,c" the list.
std::vector<int64_t> parse_seeds(const std::string& text, int default_count);

/// Threads, then the device: resolves --device auto into o.device and prints why (stderr).
void setup_runtime(RunnerOptions& o);

}  // namespace dti::experiments::cli
