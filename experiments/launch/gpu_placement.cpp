#include "experiments/launch/gpu_placement.h"

#include <ATen/Context.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <ostream>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"

namespace dti::experiments {

int GpuPlacement::concurrent(int jobs) const {
  if (!active()) return jobs;
  return std::min(jobs, static_cast<int>(gpus.size()) * runs_per_gpu);
}

int GpuPlacement::pick(const std::vector<int>& running) const {
  const auto on = [&running](int g) {
    return g < static_cast<int>(running.size()) ? running[g] : 0;
  };
  int best = -1;
  for (int g = 0; g < static_cast<int>(gpus.size()); ++g) {
    if (on(g) < runs_per_gpu && (best < 0 || on(g) < on(best))) best = g;
  }
  return best;
}

std::vector<int> GpuPlacement::first_wave(int count) const {
  std::vector<int> running(gpus.size(), 0), out;
  for (int i = 0; i < count; ++i) {
    const int g = pick(running);
    if (g < 0) break;
    ++running[g];
    out.push_back(g);
  }
  return out;
}

std::vector<std::string> parse_gpu_list(const std::string& text) {
  // getline() drops a trailing empty entry ("0,"), so an entry is read after every comma.
  std::vector<std::string> gpus;
  std::stringstream in(text + ",");
  std::string part;
  while (std::getline(in, part, ',')) {
    DTI_CHECK(!part.empty(), "GPU list '", text,
              "': expected GPU numbers or UUIDs separated by commas, e.g. 0,1");
    gpus.push_back(part);
  }
  return gpus;
}

GpuPlacement gpu_placement(const RunnerOptions& options) {
  GpuPlacement p;
  p.runs_per_gpu = options.runs_per_gpu;
  if (options.jobs <= 1 || options.device != "cuda") return p;
  if (!options.gpus.empty()) {
    p.gpus = parse_gpu_list(options.gpus);
  } else if (const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
             visible != nullptr && *visible != '\0') {
    p.gpus = parse_gpu_list(visible);
  } else {
    for (size_t g = 0; g < at::getNumGPUs(); ++g) p.gpus.push_back(std::to_string(g));
  }
  return p;
}

std::vector<std::string> child_environment(char** parent, const std::string& gpu) {
  std::vector<std::string> env;
  for (char** e = parent; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "CUDA_VISIBLE_DEVICES=", 21) != 0) env.emplace_back(*e);
  }
  env.push_back("CUDA_VISIBLE_DEVICES=" + gpu);
  return env;
}

void print_placement(const GpuPlacement& placement, int jobs, int runs,
                     const std::vector<std::string>& run_names, std::ostream& out) {
  if (!placement.active()) {
    out << "placement: " << std::min(jobs, runs) << " runs at once on this machine's "
        << "device, sharing its threads\n";
    return;
  }
  const int at_once = placement.concurrent(jobs);
  out << "placement: " << std::min(at_once, runs) << " runs at once on " << placement.gpus.size()
      << " GPUs (" << join(placement.gpus) << "), at most " << placement.runs_per_gpu << " per GPU";
  if (at_once < jobs) {
    out << " (--jobs " << jobs << " asks for more than the " << at_once << " places)";
  }
  out << "\n";
  const auto wave = placement.first_wave(std::min(at_once, runs));
  for (size_t i = 0; i < wave.size() && i < run_names.size(); ++i) {
    out << "  " << run_names[i] << " -> GPU " << placement.gpus[wave[i]] << "\n";
  }
  if (runs > static_cast<int>(wave.size())) {
    out << "  then each of the other " << runs - static_cast<int>(wave.size())
        << " runs takes the GPU with the fewest runs when one ends\n";
  }
}

}  // namespace dti::experiments
