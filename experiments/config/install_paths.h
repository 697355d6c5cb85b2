#pragma once
// Where an installed (or built) runexp finds its shipped files, relative to its own executable:
// no source path is compiled in, so a copy installed with `cmake --install` into any prefix
// works. Layout: <prefix>/bin/runexp, <prefix>/share/dtisprites/configs/*.yml,
// <prefix>/share/dtisprites/experiments/*.yml (the paper's tables and figures) and
// <prefix>/share/dtisprites/bench-cpu.json (the CPU benchmark the dry-run plan estimates times
// from); the build tree mirrors it (<build>/share/dtisprites/, refreshed at every build).

#include <string>

namespace dti::experiments {

/// The folder of the shipped configs: the first `share/dtisprites/configs` found in the folder
/// of the running executable or up to four folders above it; throws dti::Error naming where it
/// looked (and DTI_CONFIG_DIR, which overrides it) when there is none.
std::string shipped_config_dir();

/// The folder of the paper's experiment files (table1.yml ... fig9.yml and order.txt, from
/// experiments/paper/): `share/dtisprites/experiments` found as above; DTI_EXPERIMENT_DIR
/// overrides.
std::string shipped_experiment_dir();

/// The shipped CPU benchmark (dti_bench's JSON, reports/results/bench-cpu-2vcpu.json) beside the
/// shipped configs, or "" when there is none.
std::string shipped_cpu_benchmark();

}  // namespace dti::experiments
