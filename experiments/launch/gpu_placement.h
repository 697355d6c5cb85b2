#pragma once
// Where the local launcher's parallel runs go on a machine with GPUs (`--jobs N --device cuda`):
// each child process sees one GPU (its own CUDA_VISIBLE_DEVICES) and trains on "cuda" there;
// `--runs-per-gpu K` lets K runs share a GPU (a paper-batch run leaves most of a large GPU idle).
// A new run takes the GPU with the fewest runs (the lowest on a tie): round robin while all are
// busy. `--gpus 0,1` names the GPUs; otherwise CUDA_VISIBLE_DEVICES, else every GPU LibTorch
// sees. Slurm places its tasks itself (--gpus-per-run), not through this.

#include <iosfwd>
#include <string>
#include <vector>

#include "experiments/config/runner_options.h"

namespace dti::experiments {

/// The GPUs parallel runs are spread over, and how many runs each takes at once.
struct GpuPlacement {
  std::vector<std::string> gpus;  ///< CUDA_VISIBLE_DEVICES entries: "0", "1" or GPU UUIDs.
  int runs_per_gpu = 1;           ///< Runs sharing one GPU at most.

  /// Whether runs are spread at all (at least one GPU).
  bool active() const { return !gpus.empty(); }
  /// Runs at once: min(jobs, GPUs x runs per GPU).
  int concurrent(int jobs) const;
  /// The GPU (index into gpus) for a new run, given the runs now on each; -1 when all are full.
  int pick(const std::vector<int>& running) const;
  /// The GPUs of the first `count` runs started together (the dry run's picture).
  std::vector<int> first_wave(int count) const;
};

/// Splits a GPU list ("0,1" or UUIDs, as CUDA_VISIBLE_DEVICES writes it); throws dti::Error on an
/// empty entry.
std::vector<std::string> parse_gpu_list(const std::string& text);

/// The placement for `options`: active only when several runs go in parallel (jobs > 1) on
/// device "cuda" (not "cuda:<i>", which pins every run to that GPU). GPUs from options.gpus,
/// else CUDA_VISIBLE_DEVICES, else 0..n-1 for the n GPUs LibTorch sees (none: inactive).
GpuPlacement gpu_placement(const RunnerOptions& options);

/// The environment of a child process on GPU `gpu`: this process's, with CUDA_VISIBLE_DEVICES
/// set to it.
std::vector<std::string> child_environment(char** parent, const std::string& gpu);

/// For --dry-run: how many runs at once, on which GPUs, and the first runs' GPUs, e.g.
/// "4 runs at once on 2 GPUs (0, 1), at most 2 per GPU".
void print_placement(const GpuPlacement& placement, int jobs, int runs,
                     const std::vector<std::string>& run_names, std::ostream& out);

}  // namespace dti::experiments
