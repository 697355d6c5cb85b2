#include "core/init.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <utility>

#include "base/error.h"

namespace dti::core {

template <>
const std::vector<std::string>& names_of<ProtoInit>() {
  static const std::vector<std::string> names = {"constant", "gaussian", "sample", "random_color"};
  return names;
}

template <>
const std::vector<std::string>& names_of<MaskInit>() {
  static const std::vector<std::string> names = {"constant", "gaussian", "random"};
  return names;
}

template <>
const std::vector<std::string>& names_of<BackgroundInit>() {
  static const std::vector<std::string> names = {"constant", "mean"};
  return names;
}

std::vector<int64_t> initialization_indices(int64_t population, int64_t count, uint64_t seed) {
  DTI_CHECK(population > 0 && count > 0,
            "initialization_indices: expected a non-empty training set and count > 0, got "
            "population=",
            population, " count=", count, "; check the dataset file and its subset");
  // Partial Fisher-Yates shuffle: the first `count` entries of a uniform random permutation, i.e.
  // drawn without replacement as a shuffled DataLoader's first batch is (not with replacement).
  std::vector<int64_t> order(static_cast<size_t>(population));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::mt19937_64 rng(seed);
  const int64_t n = std::min(count, population);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t j = std::uniform_int_distribution<int64_t>(i, population - 1)(rng);
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  order.resize(static_cast<size_t>(n));
  return order;
}

at::Tensor gaussian_window(int64_t size, double std) {
  DTI_CHECK(size > 0 && std > 0, "gaussian_window: expected size > 0 and std > 0, got size=", size,
            " std=", std);
  auto n = at::arange(size, at::kDouble) - (static_cast<double>(size) - 1.0) / 2.0;
  return at::exp(-0.5 * (n / std).pow(2));
}

at::Tensor gaussian_weights(int64_t height, int64_t width, int64_t channels, double std) {
  auto g = at::outer(gaussian_window(height, std), gaussian_window(width, std));  // [H,W]
  return g.to(at::kFloat).unsqueeze(0).expand({channels, height, width}).contiguous();
}

}  // namespace dti::core
