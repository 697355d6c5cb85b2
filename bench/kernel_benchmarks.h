#pragma once
// dti_bench's benchmarks of single kernels (kernel_benchmarks.cpp): BM_SelectionSample,
// BM_SpriteTransform, BM_NormRelu. dti_bench.cpp's header lists what each measures.

namespace dti::bench {

/// Registers them with Google Benchmark (dti_bench's register_benchmarks() calls it).
void register_kernel_benchmarks();

}  // namespace dti::bench
