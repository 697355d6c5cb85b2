// parity_replay: replays a trajectory recorded from the authors' code in our model and trainer and
// says where, if anywhere, the two part (issue 14; experiments/parity/TRAJECTORY.md).
// Exit status: 0 = no divergence beyond the tolerance, 3 = diverged, 1 = bad input.

#include <ATen/Parallel.h>

#include <cstdlib>
#include <iostream>
#include <string>

#include "base/error.h"
#include "experiments/parity/replay.h"

namespace {

constexpr const char* kUsage =
    "usage: parity_replay --trajectory FILE [--tolerance 1e-3] [--norm-tolerance 5e-2] [--steps "
    "N]\n"
    "                     [--every 10] [--csv FILE] [--config-dir DIR] [--threads N]\n"
    "                     [--set KEY=VALUE]...\n"
    "Replays a trajectory recorded by experiments/parity/record_trajectory.py in our model and\n"
    "trainer and prints where loss, selections or parameters first part beyond the tolerance.\n";

std::string value_of(int& i, int argc, char** argv) {
  const std::string flag = argv[i];
  DTI_CHECK(i + 1 < argc, flag, " expects a value\n", kUsage);
  return argv[++i];
}

}  // namespace

int main(int argc, char** argv) {
  try {
    dti::parity::ReplayOptions options;
    std::string path, csv;
    int64_t every = 10;
    int threads = 1;
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (a == "--trajectory") {
        path = value_of(i, argc, argv);
      } else if (a == "--tolerance") {
        options.tolerance = std::stod(value_of(i, argc, argv));
      } else if (a == "--norm-tolerance") {
        options.norm_tolerance = std::stod(value_of(i, argc, argv));
      } else if (a == "--steps") {
        options.max_steps = std::stoll(value_of(i, argc, argv));
      } else if (a == "--every") {
        every = std::stoll(value_of(i, argc, argv));
      } else if (a == "--csv") {
        csv = value_of(i, argc, argv);
      } else if (a == "--config-dir") {
        options.config_dir = value_of(i, argc, argv);
      } else if (a == "--set") {
        options.overrides.push_back(value_of(i, argc, argv));
      } else if (a == "--threads") {
        threads = std::stoi(value_of(i, argc, argv));
      } else if (a == "-h" || a == "--help") {
        std::cout << kUsage;
        return 0;
      } else {
        throw dti::Error("unknown argument '" + a + "'\n" + kUsage);
      }
    }
    DTI_CHECK(!path.empty(), "--trajectory is required\n", kUsage);
    at::set_num_threads(threads);
    const auto trajectory = dti::parity::read_trajectory(path);
    const auto result = dti::parity::replay(trajectory, options);
    dti::parity::print_replay(trajectory, options, result, every, std::cout);
    if (!csv.empty()) dti::parity::write_replay_csv(result, csv);
    return result.first_divergence < 0 ? 0 : 3;
  } catch (const std::exception& e) {
    std::cerr << "parity_replay: " << e.what() << "\n";
    return 1;
  }
}
