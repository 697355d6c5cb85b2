#include "core/runtime.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/CPUAllocator.h>
#include <dlfcn.h>
#include <malloc.h>
#include <sys/mman.h>
#include <torch/version.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
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

// LibTorch's CPU allocator, each block of 2 MiB or more advised for transparent huge pages
// (the system's THP setting is usually "madvise": without the advice, 4 KiB pages). Only the
// pages change, not where or how a tensor is stored. GTSRB-8's training step on a Zen 4 (medians
// of six alternating runs, DTI_HUGE_PAGES=0 against the default): 256.5 -> 253 and 279 ->
// 268.5 ms, as with glibc's own switch (glibc.malloc.hugetlb=1: 266.5 ms in the second set).
class HugePageAdvice final : public c10::Allocator {
 public:
  explicit HugePageAdvice(c10::Allocator* base) : base_(base) {}
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 3)
  c10::DataPtr allocate(size_t n) override { return advised(base_->allocate(n), n); }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    base_->copy_data(dest, src, count);
  }
  bool is_simple_data_ptr(const c10::DataPtr& data_ptr) const override {
    return base_->is_simple_data_ptr(data_ptr);
  }
#else
  c10::DataPtr allocate(size_t n) const override { return advised(base_->allocate(n), n); }
#endif
  c10::DeleterFnPtr raw_deleter() const override { return base_->raw_deleter(); }

 private:
  static constexpr uintptr_t kPage = 4096, kHuge = uintptr_t{2} << 20;
  static c10::DataPtr advised(c10::DataPtr ptr, size_t n) {
    if (n >= kHuge && ptr.get() != nullptr) {
      const auto start = (reinterpret_cast<uintptr_t>(ptr.get()) + kPage - 1) & ~(kPage - 1);
      const auto end = (reinterpret_cast<uintptr_t>(ptr.get()) + n) & ~(kPage - 1);
      // A refusal (THP compiled out) only leaves the pages as they were.
      if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
    }
    return ptr;
  }
  c10::Allocator* base_;
};

std::atomic<bool> huge_pages_installed{false};

void install_huge_page_advice() {
  if (huge_pages_installed.exchange(true)) return;
  static HugePageAdvice allocator(c10::GetDefaultCPUAllocator());
  c10::SetCPUAllocator(&allocator, /*priority=*/1);
}

}  // namespace

bool huge_pages_active() { return huge_pages_installed.load(); }

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
  const char* env = std::getenv("DTI_HUGE_PAGES");
  if (options.huge_pages && !(env != nullptr && std::strcmp(env, "0") == 0))
    install_huge_page_advice();
}

std::string runtime_description(const std::string& device) {
  std::ostringstream out;
  out << "LibTorch " << TORCH_VERSION << ", device " << device << ", " << at::get_num_threads()
      << " threads" << (huge_pages_active() ? ", huge pages advised" : "");
  if (auto config = reinterpret_cast<GetConfig>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    out << ", BLAS " << config();
  } else {
    out << ", BLAS: reference or unknown (install libopenblas0-pthread for speed)";
  }
  return out.str();
}

}  // namespace dti::core
