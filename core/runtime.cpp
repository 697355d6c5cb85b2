#include "core/runtime.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <malloc.h>
#include <torch/version.h>

#include <cstdlib>
#include <sstream>
#include <thread>

namespace dti::core {
namespace {

// OpenBLAS's setter, looked up at run time so that the build does not depend on which BLAS
// libblas.so.3 resolves to (the reference BLAS has no threads to set).
using SetThreads = void (*)(int);
using GetConfig = char* (*)();

SetThreads openblas_setter() {
  return reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
}

}  // namespace

void configure_runtime(const RuntimeOptions& options) {
  int threads = options.threads;
  if (threads <= 0) {
    const char* env = std::getenv("OMP_NUM_THREADS");
    threads = env != nullptr && std::atoi(env) > 0
                  ? std::atoi(env)
                  : static_cast<int>(std::thread::hardware_concurrency());
  }
  if (threads > 0) at::set_num_threads(threads);
  if (auto set = openblas_setter(); set != nullptr && options.blas_threads > 0)
    set(options.blas_threads);
  if (options.keep_freed_memory) {
    // glibc serves blocks above M_MMAP_THRESHOLD with a fresh mmap and unmaps them when freed:
    // every training step would fault its activations in again (PERF.md). Serving them from the
    // heap and not trimming it keeps those pages; peak memory is unchanged, resident memory
    // stays at the peak.
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
}

std::string runtime_description(const std::string& device) {
  std::ostringstream out;
  out << "LibTorch " << TORCH_VERSION << ", device " << device << ", " << at::get_num_threads()
      << " threads";
  if (auto config = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    out << ", BLAS " << config();
  } else {
    out << ", BLAS: reference or unknown (install libopenblas0-pthread for speed)";
  }
  return out.str();
}

}  // namespace dti::core
