#include "experiments/config/install_paths.h"

#include <filesystem>
#include <system_error>

#include "base/error.h"

namespace dti::experiments {
namespace fs = std::filesystem;

std::string shipped_config_dir() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  DTI_CHECK(!error, "cannot tell where this program lives (/proc/self/exe: ", error.message(),
            "); set DTI_CONFIG_DIR to the folder of the shipped configs");
  fs::path dir = exe.parent_path();
  const fs::path relative = fs::path("share") / "dtisprites" / "configs";
  for (int up = 0; up <= 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
    if (fs::is_directory(dir / relative)) return (dir / relative).string();
    if (dir == dir.root_path()) break;
  }
  throw Error("no shipped configs (" + relative.string() + ") next to or above " +
              exe.parent_path().string() +
              "; install runexp with `cmake --install`, or set DTI_CONFIG_DIR to a folder of "
              "configs");
}

std::string shipped_cpu_benchmark() {
  try {
    const fs::path file = fs::path(shipped_config_dir()).parent_path() / "bench-cpu.json";
    return fs::is_regular_file(file) ? file.string() : "";
  } catch (const Error&) {
    return "";
  }
}

}  // namespace dti::experiments
