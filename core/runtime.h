#pragma once
// Process-wide compute settings: LibTorch's intra-op threads and the BLAS library's own threads.

#include <string>

namespace dti::core {

/// Threads used by LibTorch's CPU kernels and by the BLAS library.
struct RuntimeOptions {
  /// LibTorch intra-op threads; 0 = every logical CPU (Debian's torch 1.13 otherwise picks the
  /// physical core count, 1 on 2-vCPU machines, half the speed).
  int threads = 0;
  /// Threads of an OpenBLAS backend; 1 avoids OpenBLAS's threads competing with LibTorch's.
  int blas_threads = 1;
  /// Keep freed memory in the process (glibc malloc thresholds) instead of returning large
  /// blocks to the kernel and faulting them in again on the next step.
  bool keep_freed_memory = true;
  /// Ask the kernel for transparent huge pages (madvise) under every CPU tensor of 2 MiB or
  /// more: fewer TLB misses in the passes over feature maps. Where the system's THP setting is
  /// "never", nothing changes. DTI_HUGE_PAGES=0 turns it off.
  bool huge_pages = true;
};

/// Whether configure_runtime() put the huge-page advice on LibTorch's CPU allocator.
bool huge_pages_active();

/// Applies `options` (honours OMP_NUM_THREADS when set and options.threads is 0).
void configure_runtime(const RuntimeOptions& options = {});

/// One line describing the compute setup: LibTorch version, threads, BLAS, device.
std::string runtime_description(const std::string& device = "cpu");

}  // namespace dti::core
