// Speed of the model's stages in the settings of paper Table 6, as images/s (items_per_second).
//   BM_Compose      composition of the chosen layers (Eq. 2) / all K^L·M compositions (L = 1)
//   BM_GreedySelect Algorithm 1 on random candidates (T sweeps)
//   BM_TrainStep    forward, backward and Adam step in training mode; /initial = a fresh model
//                   (first curriculum stage, sprites frozen where the config says), /active =
//                   every module on and sprites trainable.
//   BM_EncoderStep  the shared encoder alone, forward and backward (its share of BM_TrainStep)
//   BM_TrainStepX4  the same at 4x the batch (Tetrominoes, Multi-dSprites, CLEVR6)
//   BM_TrainStepNormAB  /active steps alternating LibTorch's BatchNorm/ReLU operators and the
//                   exact node (same bits): median ms of each, measured on the same machine state
//   BM_NormRelu     one encoder BatchNorm + shortcut + ReLU, forward and backward: /0 LibTorch's
//                   operators, /1 the exact node (same bits), /2 the fused node (encoder_norm:
//                   fused)
//   BM_TrainStepPhase  one phase of an /active step (forward, backward, Adam) at 1x and 4x the
//                   batch, timed between device syncs.
//   BM_SelectionSample  one bilinear sampling of the selection pass: /<path>/<shape>, path 0
//                   LibTorch's grid_sampler, 1 the written-out kernel (core/bilinear_kernel.h,
//                   same bits); shape 0 GTSRB-8's (each of the K·B = 1,024 sprites, 5 channels,
//                   28x28), 1 Tetrominoes' (the 19 sprites' 5 channels of an image stacked,
//                   [96, 95, 35, 35])
//   BM_SpriteTransform  one transformation module without gradient on GTSRB-8's selection pass
//                   (its K·B = 1,024 sprites, 5 channels, 28x28): /0 colour, /1 projective, /2 TPS
//                   (grid and sampling)
// (BM_SelectionSample, BM_SpriteTransform and BM_NormRelu live in kernel_benchmarks.cpp.)
// Run: build/bench/dti_bench --benchmark_format=json > bench.json (loadable by `runexp report`).
// DTI_BENCH_DEVICE=cuda runs on the GPU (each iteration ends with a host sync through .item()).
#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <c10/core/GradMode.h>
#include <sys/resource.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/adam.h"
#include "core/composition.h"
#include "core/encoder.h"
#include "core/greedy.h"
#include "core/model.h"
#include "core/norm_relu.h"
#include "core/occlusion.h"
#include "core/precision.h"
#include "core/runtime.h"
#include "experiments/config/paper_model_options.h"
#include "kernel_benchmarks.h"  // bench/, beside this file
#include "step_fixture.h"

namespace {

using dti::bench::bench_device;
using dti::bench::bench_precision;
using dti::bench::Setting;
using dti::bench::setting;
using dti::bench::StepFixture;

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

void finish(benchmark::State& state, int64_t images_per_iteration) {
  state.SetItemsProcessed(state.iterations() * images_per_iteration);
  state.counters["peak_rss_MB"] = peak_rss_mb();
  state.counters["threads"] = at::get_num_threads();
}

void BM_Compose(benchmark::State& state) {
  const Setting& s = setting(state.range(0));
  auto o = s.model;
  const int64_t L = o.n_objects, K = o.n_sprites + (o.add_empty_sprite ? 1 : 0), B = s.batch;
  const int64_t C = o.channels, H = o.image_size[0], W = o.image_size[1];
  const auto dev = bench_device();
  auto layers = at::rand({L, K, B, C, H, W}, dev);
  auto masks = at::rand({L, K, B, 1, H, W}, dev);
  auto occ = dti::core::fixed_occlusion(L, B, layers.options());
  at::Tensor bkg = o.n_backgrounds > 0 ? at::rand({B, C, H, W}, dev) : at::Tensor();
  auto resps =
      at::zeros({L, K, B}, dev)
          .scatter_(1,
                    at::randint(K, {L, 1, B},
                                dev.type() == at::kCPU ? at::TensorOptions(at::kLong)
                                                       : at::TensorOptions(at::kLong).device(dev)),
                    1);
  c10::NoGradGuard no_grad;
  for (auto _ : state) {
    at::Tensor out = L == 1 ? dti::core::compose_all(layers, masks, occ, bkg.unsqueeze(0), false)
                            : dti::core::compose_weighted(layers, masks, occ, resps, bkg);
    benchmark::DoNotOptimize(out.sum().item<float>());
  }
  finish(state, B);
  state.SetLabel(s.name);
}

void BM_GreedySelect(benchmark::State& state) {
  const Setting& s = setting(state.range(0));
  auto o = s.model;
  const int64_t L = o.n_objects, K = o.n_sprites + (o.add_empty_sprite ? 1 : 0), B = s.batch;
  const int64_t C = o.channels, H = o.image_size[0], W = o.image_size[1];
  const auto dev = bench_device();
  auto x = at::rand({B, C, H, W}, dev);
  auto layers = at::rand({L, K, B, C, H, W}, dev);
  auto masks = at::rand({L, K, B, 1, H, W}, dev);
  auto occ = dti::core::fixed_occlusion(L, B, x.options());
  at::Tensor bkg = o.n_backgrounds > 0 ? at::rand({B, C, H, W}, dev) : at::Tensor();
  dti::core::GreedyOptions g;
  g.iterations = o.greedy_algo_iter;
  g.has_empty_sprite = o.add_empty_sprite;
  g.lambda_empty = o.lambda_empty_sprite;
  for (auto _ : state) {
    auto r = dti::core::greedy_select(x, layers, masks, bkg, occ, g);
    benchmark::DoNotOptimize(r.selection.sum().item<int64_t>());
  }
  finish(state, B);
  state.SetLabel(s.name);
}

// The shared encoder alone in training mode, forward and backward of its features' sum, at the
// setting's batch: its share of BM_TrainStep is what the rest of the model can at most save.
void BM_EncoderStep(benchmark::State& state) {
  const Setting& s = setting(state.range(0));
  const auto& o = s.model;
  const auto dev = bench_device();
  dti::core::Encoder encoder(
      {o.encoder_name, o.channels, o.with_pool, dti::bench::bench_fused_norm()},
      at::make_generator<at::CPUGeneratorImpl>(0));
  encoder.to(dev);
  auto x = at::rand({s.batch, o.channels, o.image_size[0], o.image_size[1]}, dev);
  for (auto _ : state) {
    for (auto& p : encoder.parameters()) p.tensor.mutable_grad() = at::Tensor();
    auto features = encoder.forward(x, /*training=*/true);
    features.sum().backward();
    benchmark::DoNotOptimize(features.sum().item<float>());
  }
  finish(state, s.batch);
  state.SetLabel(s.name);
}

// One training step at `multiple` times the paper's batch.
void train_step(benchmark::State& state, int64_t multiple) {
  const Setting& s = setting(state.range(0));
  const bool active = state.range(1) != 0;
  const int64_t batch = s.batch * multiple;
  StepFixture f(s, active, batch, bench_device());
  std::vector<double> seconds;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(f.step().item<float>());  // .item() waits for a device
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  finish(state, batch);
  // Images/s of the median step, the statistic the authors' ref_perf.py reports for theirs: on a
  // shared VM an occasional slow step moves a mean (items_per_second) but not a median, so
  // bench/cpu_vs_authors.py compares medians on both sides.
  state.counters["median_img_per_s"] = static_cast<double>(batch) / median(seconds);
  state.SetLabel(std::string(s.name) + (active ? "/active" : "/initial") + "/" +
                 dti::core::precision_name(f.precision) +
                 (multiple == 1 ? "" : "/batch " + std::to_string(batch)));
}

void BM_TrainStep(benchmark::State& state) { train_step(state, 1); }
// The same at 4x the batch: how far a larger batch fills a GPU (ci/gpu's short benchmark).
void BM_TrainStepX4(benchmark::State& state) { train_step(state, 4); }

// Waits for every kernel queued on the device (a one-element copy to the host joins the stream).
void sync(const at::Device& dev) {
  if (!dev.is_cpu()) benchmark::DoNotOptimize(at::zeros({1}, at::TensorOptions(dev)).cpu());
}

// Where a training step's time goes (issue 8, "measure first"): each iteration runs a whole step
// but times one phase, between device syncs: 0 = forward (features, every candidate, selection,
// the chosen sprites again, composition, loss), 1 = backward, 2 = Adam. The batch at 1x and 4x
// the paper's: a phase whose time hardly grows with the batch is bound by kernel launches (what a
// CUDA graph would remove), one that grows in proportion by the device's arithmetic.
void BM_TrainStepPhase(benchmark::State& state) {
  const Setting& s = setting(state.range(0));
  const int64_t phase = state.range(1), batch = s.batch * state.range(2);
  StepFixture f(s, /*active=*/true, batch, bench_device());
  for (int warm = 0; warm < 2; ++warm) f.step();  // lazy initialisation, caches, cuDNN plans
  for (auto _ : state) {
    f.adam->zero_grad();
    sync(f.device);
    auto t0 = std::chrono::steady_clock::now();
    auto out = f.forward();
    sync(f.device);
    auto t1 = std::chrono::steady_clock::now();
    out.loss.backward();
    sync(f.device);
    auto t2 = std::chrono::steady_clock::now();
    f.adam->step();
    sync(f.device);
    auto t3 = std::chrono::steady_clock::now();
    const auto begin = phase == 0 ? t0 : phase == 1 ? t1 : t2;
    const auto end = phase == 0 ? t1 : phase == 1 ? t2 : t3;
    state.SetIterationTime(std::chrono::duration<double>(end - begin).count());
  }
  finish(state, batch);
  static const char* const kPhases[] = {"forward", "backward", "adam"};
  state.SetLabel(std::string(s.name) + "/active/" + kPhases[phase] + "/batch " +
                 std::to_string(batch) + "/" + dti::core::precision_name(f.precision));
}

// Whole /active steps, alternately with the encoder's BatchNorm and ReLU by LibTorch's operators
// and by the exact node (core/norm_relu.h), each timed: on a VM whose speed drifts by 10-40%
// within minutes, only steps taken side by side compare. Reports both medians; the iteration's
// time is the exact node's step.
void BM_TrainStepNormAB(benchmark::State& state) {
  const Setting& s = setting(state.range(0));
  StepFixture f(s, /*active=*/true, s.batch, bench_device());
  for (int warm = 0; warm < 2; ++warm) f.step();
  std::vector<double> times[2];
  for (auto _ : state) {
    for (int exact = 0; exact < 2; ++exact) {
      dti::core::set_exact_norm_relu(exact == 1);
      const auto t0 = std::chrono::steady_clock::now();
      f.step();
      times[exact].push_back(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    state.SetIterationTime(times[1].back());
  }
  dti::core::set_exact_norm_relu(true);
  state.counters["operators_ms"] = 1e3 * median(times[0]);
  state.counters["exact_ms"] = 1e3 * median(times[1]);
  finish(state, s.batch);
  state.SetLabel(std::string(s.name) + (dti::core::exact_norm_relu_active()
                                            ? "/active/operators vs exact"
                                            : "/active/exact node off here: both operators"));
}

// A number from the environment, or `fallback` when unset or empty.
double env_number(const char* name, double fallback) {
  const char* env = std::getenv(name);
  return env != nullptr && *env != '\0' ? std::atof(env) : fallback;
}

// Registered at run time so that the GPU plan's short benchmark (ci/gpu/run.sh) can bound the
// training benchmarks: a MinTime given at registration wins over --benchmark_min_time.
//   DTI_BENCH_NORM=fused         training.encoder_norm: fused (core/norm_relu.h) in BM_TrainStep*,
//                                BM_EncoderStep; default separate: LibTorch's results (the exact
//                                node where it runs, else LibTorch's operators; DTI_EXACT_NORM=0)
//   DTI_BENCH_MIN_TIME           seconds per BM_TrainStep / BM_TrainStepX4 (default 3)
//   DTI_BENCH_PHASE_ITERATIONS   fixed iterations of BM_TrainStepPhase (default: 1 s of the
//                                phase's own time, which for Adam is many whole steps)
void register_benchmarks() {
  using benchmark::RegisterBenchmark;
  RegisterBenchmark("BM_Compose", BM_Compose)
      ->DenseRange(0, 2)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  RegisterBenchmark("BM_GreedySelect", BM_GreedySelect)
      ->Arg(0)
      ->Arg(1)
      ->Arg(3)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  const double step_time = env_number("DTI_BENCH_MIN_TIME", 3.0);
  RegisterBenchmark("BM_EncoderStep", BM_EncoderStep)
      ->DenseRange(0, 2)
      ->Unit(benchmark::kMillisecond)
      ->MinTime(step_time)
      ->UseRealTime();
  RegisterBenchmark("BM_TrainStepNormAB", BM_TrainStepNormAB)
      ->DenseRange(0, 2)
      ->Iterations(static_cast<int64_t>(env_number("DTI_BENCH_AB_ITERATIONS", 10)))
      ->Unit(benchmark::kMillisecond)
      ->UseManualTime();
  dti::bench::register_kernel_benchmarks();  // kernel_benchmarks.cpp
  // The three settings of the issue first, then CLEVR6, SVHN and Weizmann Horse (paper configs).
  RegisterBenchmark("BM_TrainStep", BM_TrainStep)
      ->ArgsProduct({{0, 1, 2, 3, 4, 5}, {0, 1}})
      ->Unit(benchmark::kMillisecond)
      ->MinTime(step_time)
      ->UseRealTime();
  // Tetrominoes, Multi-dSprites and CLEVR6, fresh and active, at 4x the batch.
  RegisterBenchmark("BM_TrainStepX4", BM_TrainStepX4)
      ->ArgsProduct({{0, 1, 3}, {0, 1}})
      ->Unit(benchmark::kMillisecond)
      ->MinTime(step_time)
      ->UseRealTime();
  // Tetrominoes, Multi-dSprites, GTSRB-8 and CLEVR6 x {forward, backward, Adam} x {1, 4} x the
  // batch.
  auto* phase = RegisterBenchmark("BM_TrainStepPhase", BM_TrainStepPhase)
                    ->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2}, {1, 4}})
                    ->Unit(benchmark::kMillisecond)
                    ->UseManualTime();
  const auto phase_iterations = static_cast<int64_t>(env_number("DTI_BENCH_PHASE_ITERATIONS", 0));
  if (phase_iterations > 0) {
    phase->Iterations(phase_iterations);
  } else {
    phase->MinTime(1.0);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Every logical CPU for LibTorch, one thread for OpenBLAS (DTI_BLAS_THREADS overrides).
  dti::core::RuntimeOptions runtime;
  if (const char* blas = std::getenv("DTI_BLAS_THREADS")) runtime.blas_threads = std::atoi(blas);
  dti::core::configure_runtime(runtime);
  benchmark::AddCustomContext("encoder_norm",
                              dti::bench::bench_fused_norm() ? "fused" : "separate");
  benchmark::AddCustomContext("runtime", dti::core::runtime_description(bench_device().str()));
  benchmark::AddCustomContext("libtorch", TORCH_VERSION);
  benchmark::AddCustomContext("device", bench_device().str());
  benchmark::AddCustomContext("torch_threads", std::to_string(at::get_num_threads()));
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
