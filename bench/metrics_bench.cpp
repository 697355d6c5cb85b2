// Google Benchmark of dti::metrics at the sizes of the paper's evaluations (docs/evaluation.md):
// ARI / ARI-FG over 320 images of 128x128 (Tables 1, 2), the semantic confusion matrix over the
// same images (Table 5), clustering scores of SVHN's 99,289 images (Table 3) and the Hungarian
// matching alone. Run: dti_metrics_bench --benchmark_format=json > metrics_bench.json

#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "metrics/adjusted_rand.h"
#include "metrics/clustering.h"
#include "metrics/hungarian.h"
#include "metrics/segmentation.h"

namespace {

constexpr int64_t kImages = 320;
constexpr int64_t kSide = 128;
constexpr int64_t kLabels = 7;  // CLEVR6: background + 6 layers.

// Instance maps like the multi-object benchmarks: background plus kLabels−1 random rectangles
// painted in order (later ones occlude earlier ones); the prediction is the truth with its ids
// permuted and 10% of the pixels relabelled at random.
struct LabelMaps {
  std::vector<int64_t> truth;
  std::vector<int64_t> pred;
};

LabelMaps make_maps(int64_t images, int64_t side, int64_t labels) {
  std::mt19937_64 rng(20210101);
  std::uniform_int_distribution<int64_t> position(0, side - 1), label(0, labels - 1);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  LabelMaps maps;
  maps.truth.assign(images * side * side, 0);
  maps.pred.resize(maps.truth.size());
  for (int64_t b = 0; b < images; ++b) {
    int64_t* image = maps.truth.data() + b * side * side;
    for (int64_t l = 1; l < labels; ++l) {
      const int64_t y0 = position(rng), x0 = position(rng);
      const int64_t y1 = std::min(side, y0 + 8 + position(rng) / 3);
      const int64_t x1 = std::min(side, x0 + 8 + position(rng) / 3);
      for (int64_t y = y0; y < y1; ++y) {
        for (int64_t x = x0; x < x1; ++x) image[y * side + x] = l;
      }
    }
  }
  for (size_t i = 0; i < maps.truth.size(); ++i) {
    maps.pred[i] = uniform(rng) < 0.1 ? label(rng) : (maps.truth[i] + 3) % labels;
  }
  return maps;
}

// The Table 1 evaluation: ARI and ARI-FG of every image, then the two means.
void BM_AriAccumulator(benchmark::State& state) {
  const int64_t images = state.range(0), side = state.range(1);
  const LabelMaps maps = make_maps(images, side, kLabels);
  for (auto _ : state) {
    dti::metrics::AriAccumulator accumulator(kLabels);
    accumulator.update_batch(maps.truth.data(), maps.pred.data(), images, side * side);
    benchmark::DoNotOptimize(accumulator.mean_ari());
    benchmark::DoNotOptimize(accumulator.mean_ari_foreground());
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(images * state.iterations()),
                                                  benchmark::Counter::kIsRate);
  state.counters["pixels/s"] = benchmark::Counter(
      static_cast<double>(images * side * side * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AriAccumulator)
    ->ArgNames({"images", "HW"})
    ->Args({kImages, kSide})
    ->Unit(benchmark::kMillisecond);

// The same with ARI-FG on its own map (predicted background reassigned to an object layer), as
// docs/evaluation.md and the reference's separate with_bkg=False evaluation score it.
void BM_AriAccumulatorTwoMaps(benchmark::State& state) {
  const int64_t images = state.range(0), side = state.range(1);
  const LabelMaps maps = make_maps(images, side, kLabels);
  std::vector<int64_t> pred_foreground = maps.pred;
  for (int64_t& label : pred_foreground) label = label == 0 ? 1 : label;
  const int64_t pixels = side * side;
  for (auto _ : state) {
    dti::metrics::AriAccumulator accumulator(kLabels);
    for (int64_t b = 0; b < images; ++b) {
      accumulator.update(maps.truth.data() + b * pixels, maps.pred.data() + b * pixels,
                         pred_foreground.data() + b * pixels, pixels);
    }
    benchmark::DoNotOptimize(accumulator.mean_ari());
    benchmark::DoNotOptimize(accumulator.mean_ari_foreground());
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(images * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_AriAccumulatorTwoMaps)
    ->ArgNames({"images", "HW"})
    ->Args({kImages, kSide})
    ->Unit(benchmark::kMillisecond);

// The Table 5 evaluation: one confusion matrix over the 320 images, then the scores.
void BM_SegmentationScores(benchmark::State& state) {
  const int64_t images = state.range(0), side = state.range(1);
  const LabelMaps maps = make_maps(images, side, kLabels);
  for (auto _ : state) {
    dti::metrics::SegmentationAccumulator accumulator(kLabels);
    for (int64_t b = 0; b < images; ++b) {
      accumulator.update(maps.truth.data() + b * side * side, maps.pred.data() + b * side * side,
                         side * side);
    }
    benchmark::DoNotOptimize(accumulator.compute().mean_iou);
  }
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(images * state.iterations()),
                                                  benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SegmentationScores)
    ->ArgNames({"images", "HW"})
    ->Args({kImages, kSide})
    ->Unit(benchmark::kMillisecond);

// The Table 3 evaluation on SVHN: 99,289 images in 10 clusters, NMI and Hungarian accuracy.
void BM_ClusteringScores(benchmark::State& state) {
  const int64_t samples = state.range(0), classes = state.range(1);
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int64_t> label(0, classes - 1);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  std::vector<int64_t> truth(samples), pred(samples);
  for (int64_t i = 0; i < samples; ++i) {
    truth[i] = label(rng);
    pred[i] = uniform(rng) < 0.4 ? label(rng) : (truth[i] * 3 + 1) % classes;
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        dti::metrics::clustering_scores(truth, pred, classes, classes).global_accuracy);
  }
  state.counters["samples/s"] = benchmark::Counter(
      static_cast<double>(samples * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ClusteringScores)
    ->ArgNames({"samples", "classes"})
    ->Args({99289, 10})
    ->Unit(benchmark::kMillisecond);

// The exact assignment alone on a dense random n×n matrix.
void BM_Hungarian(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int64_t> count(0, 1000);
  std::vector<double> weights(n * n);
  for (double& w : weights) w = static_cast<double>(count(rng));
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        dti::metrics::linear_sum_assignment(weights, n, n, dti::metrics::Objective::kMaximize));
  }
}
BENCHMARK(BM_Hungarian)->ArgName("n")->Arg(10)->Arg(100)->Arg(500)->Unit(benchmark::kMicrosecond);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // dti::metrics is single-threaded; record that next to the machine context.
  benchmark::AddCustomContext("dti_metrics_threads", "1");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
