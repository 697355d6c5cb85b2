#pragma once
// Initialisers (docs/model.md#sprites-and-backgrounds): which initialisation each part uses
// (ModelOptions::proto_init, mask_init, bkg_init), constant appearance, Gaussian masks.

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/names.h"

namespace dti::core {

/// Sprite appearance initialisation; names: constant, gaussian, sample, random_color.
enum class ProtoInit {
  kConstant,     ///< 0.9 everywhere.
  kGaussian,     ///< The Gaussian window of gaussian_weights().
  kSample,       ///< Random training images (set by DtiSprites::initialize_from_images()).
  kRandomColor,  ///< One uniform random colour per sprite.
};

/// Mask initialisation; names: constant, gaussian, random.
enum class MaskInit {
  kConstant,  ///< 1 everywhere.
  kGaussian,  ///< The Gaussian window of gaussian_weights().
  kRandom,    ///< Uniform noise in [0, 1).
};

/// Background initialisation; names: constant, mean.
enum class BackgroundInit {
  kConstant,  ///< 0.5 everywhere.
  kMean,      ///< Mean of training images (set by DtiSprites::initialize_from_images()).
};

/// Name tables, in enum order.
template <>
const std::vector<std::string>& names_of<ProtoInit>();
template <>
const std::vector<std::string>& names_of<MaskInit>();
template <>
const std::vector<std::string>& names_of<BackgroundInit>();

/// Images read by the data-dependent initialisers ('mean' backgrounds, 'sample' sprites): at most
/// 100, as the authors' `next(iter(DataLoader(dataset, batch_size=100, shuffle=True)))`: the first
/// batch of a random permutation, so min(count, population) *distinct* indices in [0, population)
/// (docs/model.md#sprites-and-backgrounds). Deterministic in `seed`.
std::vector<int64_t> initialization_indices(int64_t population, int64_t count, uint64_t seed);

/// Number of images the authors average for the 'mean' background (their DataLoader batch).
inline constexpr int64_t kInitImages = 100;

/// scipy.signal.gaussian window: g(n) = exp(-½((n − (N−1)/2)/std)²), n = 0..N−1, in float64.
at::Tensor gaussian_window(int64_t size, double std);

/// Separable Gaussian weights [channels,H,W] = outer(g_H, g_W), computed in float64 and cast to
/// float32 (for even sizes the peak is below 1, as in the reference).
at::Tensor gaussian_weights(int64_t height, int64_t width, int64_t channels, double std);

}  // namespace dti::core
