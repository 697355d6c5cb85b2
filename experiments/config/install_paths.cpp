#include "experiments/config/install_paths.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "base/error.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// The first <dir>/share/dtisprites/<folder> in the running executable's folder or up to four
// above it.
std::string shipped_dir(const std::string& folder, const std::string& what,
                        const std::string& override_variable) {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  DTI_CHECK(!error, "cannot tell where this program lives (/proc/self/exe: ", error.message(),
            "); set ", override_variable, " to the folder of the shipped ", what);
  fs::path dir = exe.parent_path();
  const fs::path relative = fs::path("share") / "dtisprites" / folder;
  for (int up = 0; up <= 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
    if (fs::is_directory(dir / relative)) return (dir / relative).string();
    if (dir == dir.root_path()) break;
  }
  throw Error("no shipped " + what + " (" + relative.string() + ") next to or above " +
              exe.parent_path().string() + "; install runexp with `cmake --install`, or set " +
              override_variable + " to a folder of " + what);
}

}  // namespace

std::string shipped_config_dir() { return shipped_dir("configs", "configs", "DTI_CONFIG_DIR"); }

std::string shipped_experiment_dir() {
  if (const char* dir = std::getenv("DTI_EXPERIMENT_DIR"); dir && *dir) return dir;
  return shipped_dir("experiments", "paper experiments", "DTI_EXPERIMENT_DIR");
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
