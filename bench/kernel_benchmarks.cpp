// dti_bench's benchmarks of single kernels, each against the LibTorch operators it replaces or at
// the shapes the models use (dti_bench.cpp's header says what each measures).
#include "kernel_benchmarks.h"  // bench/, beside this file

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <benchmark/benchmark.h>
#include <c10/core/GradMode.h>

#include <cstdint>
#include <string>

#include "core/bilinear_kernel.h"
#include "core/norm_relu.h"
#include "core/transform.h"

namespace dti::bench {
namespace {

// The encoder's second BatchNorm of a block, its shortcut and ReLU, forward and backward, at a
// stage's shape: /<path>/<shape>, path 0 LibTorch's operators, 1 the exact node, 2 the fused node;
// shape 0 GTSRB-8's first stage (128×16×28×28), 1 Multi-dSprites' (32×16×64×64), 2 GTSRB-8's last
// (128×64×7×7). Independent of the environment (DTI_EXACT_NORM), so one run compares the three.
void BM_NormRelu(benchmark::State& state) {
  static const int64_t kShapes[][4] = {{128, 16, 28, 28}, {32, 16, 64, 64}, {128, 64, 7, 7}};
  const int64_t path = state.range(0), C = kShapes[state.range(1)][1];
  const auto* shape = kShapes[state.range(1)];
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1);
  const auto cl = at::MemoryFormat::ChannelsLast;
  auto y = at::randn({shape[0], C, shape[2], shape[3]}, gen).contiguous(cl).requires_grad_(true);
  auto residual = at::randn(y.sizes(), gen).contiguous(cl).requires_grad_(true);
  auto grad = at::randn(y.sizes(), gen).contiguous(cl);
  dti::core::NormParameters n{at::ones({C}).requires_grad_(true),
                              at::zeros({C}).requires_grad_(true), at::zeros({C}), at::ones({C})};
  for (auto _ : state) {
    at::Tensor out;
    if (path == 0) {
      out = dti::core::operators_norm_relu(y, residual, n);
    } else if (path == 1) {
      out = dti::core::exact_norm_relu(y, residual, n);
    } else {
      out = dti::core::norm_relu(y, residual, n, /*fused=*/true);
    }
    out.backward(grad);
    y.mutable_grad().reset();
    residual.mutable_grad().reset();
  }
  state.SetItemsProcessed(state.iterations() * shape[0]);
  state.SetLabel(path == 0 ? "operators" : path == 1 ? "exact" : "fused");
}

void BM_SelectionSample(benchmark::State& state) {
  c10::NoGradGuard no_grad;
  static const int64_t kShapes[][4] = {{1024, 5, 28, 28}, {96, 95, 35, 35}};
  const int64_t* shape = kShapes[state.range(1)];
  const int64_t N = shape[0], C = shape[1], H = shape[2], W = shape[3];
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  auto x = at::rand({N, C, H, W}, gen);
  // A mild affine warp per image: most outputs inside, some across the border.
  auto theta = at::tensor({1.0f, 0.0f, 0.0f, 0.0f, 1.0f, 0.0f}).view({1, 2, 3}) +
               at::randn({N, 2, 3}, gen) * 0.1;
  auto grid = at::affine_grid_generator(theta, {N, C, H, W}, false);
  auto out = at::empty({N, C, H, W});
  const bool ours = state.range(0) == 1 && dti::core::bilinear_matches_libtorch(false);
  for (auto _ : state) {
    if (ours) {
      dti::core::bilinear_sample(x, grid, false, out);
    } else {
      out = at::grid_sampler(x, grid, /*bilinear*/ 0, /*zeros*/ 0, false);
    }
  }
  state.SetItemsProcessed(state.iterations() * N);
  state.SetLabel(state.range(0) == 0 ? "libtorch" : ours ? "written-out" : "libtorch (fallback)");
}

void BM_SpriteTransform(benchmark::State& state) {
  c10::NoGradGuard no_grad;
  using dti::core::TransformKind;
  const TransformKind kinds[] = {TransformKind::kColor, TransformKind::kProjective,
                                 TransformKind::kTps};
  dti::core::TransformOptions options;
  options.out_size = {28, 28};
  auto module = dti::core::make_transform(kinds[state.range(0)], options);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(4);
  auto x = at::rand({1024, 5, 28, 28}, gen);
  auto beta = at::randn({1024, module->num_parameters()}, gen) * 0.1;
  for (auto _ : state) benchmark::DoNotOptimize(module->apply(x, beta));
  state.SetItemsProcessed(state.iterations() * x.size(0));
  state.SetLabel(dti::core::to_string(kinds[state.range(0)]));
}

}  // namespace

void register_kernel_benchmarks() {
  using benchmark::RegisterBenchmark;
  RegisterBenchmark("BM_SelectionSample", BM_SelectionSample)
      ->ArgsProduct({{0, 1}, {0, 1}})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  RegisterBenchmark("BM_SpriteTransform", BM_SpriteTransform)
      ->DenseRange(0, 2)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  RegisterBenchmark("BM_NormRelu", BM_NormRelu)
      ->ArgsProduct({{0, 1, 2}, {0, 1, 2}})
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace dti::bench
