// Where a training step's time goes, operator by operator: runs whole steps of one paper setting
// (every module active, as BM_TrainStep/<i>/1) under LibTorch's autograd profiler and writes its
// Chrome trace; bench/profile_summary.py turns it into self time per operator and per step.
//   dti_profile_step DATASET TRACE.json [STEPS=5]     (DATASET: tetrominoes, multi_dsprites, ...)
// Threads, device and precision as dti_bench (DTI_BENCH_DEVICE, DTI_BENCH_PRECISION).
#include <torch/csrc/autograd/profiler_legacy.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "base/error.h"
#include "core/runtime.h"
#include "step_fixture.h"  // bench/, beside this file

namespace {

int64_t dataset_index(const std::string& name) {
  std::string valid;
  for (int64_t i = 0; i < static_cast<int64_t>(std::size(dti::bench::kDatasets)); ++i) {
    if (name == dti::bench::kDatasets[i]) return i;
    valid += (i ? ", " : "") + std::string(dti::bench::kDatasets[i]);
  }
  throw dti::Error("unknown dataset '" + name + "'; valid: " + valid);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4) {
    std::cerr << "usage: dti_profile_step DATASET TRACE.json [STEPS=5]\n";
    return 2;
  }
  try {
    dti::core::configure_runtime({});
    const auto& s = dti::bench::setting(dataset_index(argv[1]));
    const int steps = argc == 4 ? std::atoi(argv[3]) : 5;
    DTI_CHECK(steps > 0 && steps <= 1000, "STEPS: expected 1 to 1000, got ", argv[3]);
    dti::bench::StepFixture f(s, /*active=*/true, s.batch, dti::bench::bench_device());
    for (int warm = 0; warm < 2; ++warm) f.step();  // lazy initialisation, allocator caches
    {
      torch::autograd::profiler::RecordProfile profile(argv[2]);
      for (int i = 0; i < steps; ++i) f.step();
    }
    std::cout << "profiled " << steps << " steps of " << s.name << " (batch " << s.batch << ", "
              << dti::core::runtime_description(f.device.str()) << ") into " << argv[2] << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "dti_profile_step: " << e.what() << "\n";
    return 1;
  }
}
