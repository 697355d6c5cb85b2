#pragma once
// The run description the store and faults tests write: a Table 1 run of `cell` (its dataset),
// made by no real build on the CPU.
#include <cstdint>
#include <string>

#include "reports/store.h"

namespace dti::test {

inline reports::RunSpec test_run_spec(const std::string& cell, int64_t seed) {
  reports::RunSpec spec;
  spec.experiment = "table1";
  spec.cell = spec.dataset = cell;
  spec.seed = seed;
  spec.config_text = "dataset: " + cell + "\n";
  spec.code_version = "test";
  spec.libtorch_version = "none";
  spec.device = "cpu";
  return spec;
}

}  // namespace dti::test
