// The Multi-dSprites generator against the ten real dSprites images it was fitted to
// (datasets/multi_dsprites_fit.md): the same per-sprite statistics computed on the real samples
// and on sprites the generator renders, compared within stated tolerances.
//
// The real samples (tests/fixtures/datasets/dsprites, byte copies of ../shared/data/dsprites/
// samples) are single white sprites on black, drawn at random from the dSprites set, whose latents
// are uniform over the grid. So the generated side is the generator's own latent distribution
// (uniform scale, orientation and position indices), rendered by render_dsprites(), and the
// tolerances are what ten uniform draws allow: a mean of n real values must lie within three
// standard errors (3 sd_generated / sqrt(n)) of the generated mean, and every real value inside the
// range the generator produces. The samples carry no colour, background or object count to compare
// (one white sprite on black); those parts of the generator follow DeepMind's description and are
// checked against it in the last test. One statistic disagrees beyond its tolerance (the heart's
// spread, kKnownDisagreements below); its check is inverted rather than widened.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "datasets/image_io.h"
#include "datasets/multi_dsprites.h"
#include "tests/datasets/test_util.h"

namespace dti::datasets {
namespace {

constexpr int kSize = static_cast<int>(kDspritesSize);

// Scale-free descriptors of one binary sprite mask, plus its size and place.
struct SpriteStats {
  double area = 0;        // pixels
  double cx = 0, cy = 0;  // centroid, pixel centres at +0.5
  double elongation = 0;  // sqrt(largest / smallest eigenvalue of the pixel covariance)
  double spread = 0;      // (sum of the covariance eigenvalues) / area: 1/(2 pi) for a disc
};

SpriteStats stats_of(const std::vector<bool>& mask) {
  SpriteStats s;
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (int y = 0; y < kSize; ++y) {
    for (int x = 0; x < kSize; ++x) {
      if (!mask[static_cast<size_t>(y * kSize + x)]) continue;
      const double px = x + 0.5, py = y + 0.5;
      s.area += 1;
      sx += px, sy += py, sxx += px * px, syy += py * py, sxy += px * py;
    }
  }
  s.cx = sx / s.area;
  s.cy = sy / s.area;
  const double vxx = sxx / s.area - s.cx * s.cx, vyy = syy / s.area - s.cy * s.cy;
  const double vxy = sxy / s.area - s.cx * s.cy;
  const double half_trace = (vxx + vyy) / 2;
  const double root = std::sqrt(half_trace * half_trace - (vxx * vyy - vxy * vxy));
  s.elongation = std::sqrt((half_trace + root) / (half_trace - root));
  s.spread = (vxx + vyy) / s.area;
  return s;
}

// The ten real samples: a pixel belongs to the sprite when it is white (the PNGs hold 0 and 255).
std::vector<SpriteStats> real_stats() {
  std::vector<SpriteStats> out;
  for (int k = 0; k < 10; ++k) {
    const Image real = load_image(test::fixture("dsprites/org_" + std::to_string(k) + ".png"), 1);
    std::vector<bool> mask(kSize * kSize);
    for (int p = 0; p < kSize * kSize; ++p) mask[static_cast<size_t>(p)] = real.pixels[p] > 127;
    out.push_back(stats_of(mask));
  }
  return out;
}

// Shapes of the real samples, as told apart by their elongation (ellipses about 1.8, hearts about
// 1.1; GeometryFitsRealDspritesSamples in generators_test.cpp confirms them by overlap).
const DspriteShape kRealShape[10] = {
    DspriteShape::kEllipse, DspriteShape::kEllipse, DspriteShape::kEllipse, DspriteShape::kHeart,
    DspriteShape::kHeart,   DspriteShape::kEllipse, DspriteShape::kEllipse, DspriteShape::kHeart,
    DspriteShape::kEllipse, DspriteShape::kEllipse};

// Sprites of one shape over the generator's latent grid: every scale and orientation, positions
// every third index on each axis (the pixel phase and the canvas range; 6 x 40 x 11 x 11).
std::vector<SpriteStats> generated_stats(DspriteShape shape) {
  std::vector<SpriteStats> out;
  for (int scale = 0; scale < 6; ++scale) {
    for (int orientation = 0; orientation < 40; ++orientation) {
      for (int gx = 0; gx < 32; gx += 3) {
        for (int gy = 0; gy < 32; gy += 3) {
          DspritesScene scene;
          scene.sprites.push_back(Sprite{shape, scale, orientation, gx, gy, {255, 255, 255}});
          const Sample sample = render_dsprites(scene);
          std::vector<bool> mask(kSize * kSize);
          for (size_t p = 0; p < mask.size(); ++p) mask[p] = sample.instance_mask[p] != 0;
          out.push_back(stats_of(mask));
        }
      }
    }
  }
  return out;
}

struct Summary {
  double mean = 0, sd = 0, min = 0, max = 0;
  size_t n = 0;
};

template <typename Get>
Summary summarise(const std::vector<SpriteStats>& stats, Get get) {
  Summary s;
  s.n = stats.size();
  s.min = s.max = get(stats.front());
  for (const auto& x : stats) {
    s.mean += get(x);
    s.min = std::min(s.min, get(x));
    s.max = std::max(s.max, get(x));
  }
  s.mean /= static_cast<double>(s.n);
  for (const auto& x : stats) s.sd += (get(x) - s.mean) * (get(x) - s.mean);
  s.sd = std::sqrt(s.sd / static_cast<double>(s.n > 1 ? s.n - 1 : 1));
  return s;
}

// Statistics where the generator is known to disagree with the real samples
// (multi_dsprites_fit.md, "Disagreement"): the generated heart is more compact than the real one.
// Their check is inverted, so that a refitted heart fails here and this list is updated.
const std::vector<std::string> kKnownDisagreements = {"heart spread"};

// Real against generated for one statistic: the table line of multi_dsprites_fit.md, then the
// two checks named at the top of the file.
template <typename Get>
void compare(const std::string& what, const std::vector<SpriteStats>& real,
             const std::vector<SpriteStats>& generated, Get get) {
  const Summary r = summarise(real, get), g = summarise(generated, get);
  const double tolerance = 3 * g.sd / std::sqrt(static_cast<double>(r.n));
  std::printf("| %s | %zu | %.3f (%.3f-%.3f) | %.3f +- %.3f (%.3f-%.3f) | %+.4f | %.4f |\n",
              what.c_str(), r.n, r.mean, r.min, r.max, g.mean, g.sd, g.min, g.max, r.mean - g.mean,
              tolerance);
  const bool known = std::find(kKnownDisagreements.begin(), kKnownDisagreements.end(), what) !=
                     kKnownDisagreements.end();
  EXPECT_EQ(std::abs(r.mean - g.mean) <= tolerance, !known)
      << what << ": real mean " << r.mean << " against generated " << g.mean << " +- " << g.sd
      << " (tolerance " << tolerance << (known ? "; listed as a known disagreement)" : ")");
  EXPECT_GE(r.min, g.min) << what << ": a real value below every generated one";
  EXPECT_LE(r.max, g.max) << what << ": a real value above every generated one";
}

std::vector<SpriteStats> of_shape(const std::vector<SpriteStats>& real, DspriteShape shape) {
  std::vector<SpriteStats> out;
  for (int k = 0; k < 10; ++k)
    if (kRealShape[k] == shape) out.push_back(real[static_cast<size_t>(k)]);
  return out;
}

TEST(MultiDspritesFit, SpriteGeometryMatchesTheRealSamples) {
  const std::vector<SpriteStats> real = real_stats();
  std::vector<SpriteStats> all_generated;
  std::printf(
      "| statistic | n real | real mean (min-max) | generated mean +- sd (min-max) | "
      "difference | tolerance |\n|---|---|---|---|---|---|\n");
  for (const auto& [shape, name] : std::vector<std::pair<DspriteShape, std::string>>{
           {DspriteShape::kEllipse, "ellipse"}, {DspriteShape::kHeart, "heart"}}) {
    const auto generated = generated_stats(shape);
    const auto real_of_shape = of_shape(real, shape);
    all_generated.insert(all_generated.end(), generated.begin(), generated.end());
    compare(name + " area (px)", real_of_shape, generated,
            [](const SpriteStats& s) { return s.area; });
    compare(name + " elongation", real_of_shape, generated,
            [](const SpriteStats& s) { return s.elongation; });
    compare(name + " spread", real_of_shape, generated,
            [](const SpriteStats& s) { return s.spread; });
  }
  // Where sprites lie does not depend on their shape: all ten samples against all sprites.
  compare("centroid x (px)", real, all_generated, [](const SpriteStats& s) { return s.cx; });
  compare("centroid y (px)", real, all_generated, [](const SpriteStats& s) { return s.cy; });
}

// What the samples cannot show (they hold one white sprite on black) follows DeepMind's
// description of colored_on_grayscale: 2-5 sprites, random HSV colours, a random grey background.
// Checked on 4,000 generated scenes; the bounds are four binomial (or uniform) standard errors.
TEST(MultiDspritesFit, SceneStatisticsFollowDeepMindsDescription) {
  const MultiDspritesOptions options;
  constexpr int kScenes = 4000;
  std::map<size_t, int> counts;
  double background_sum = 0, background_sq = 0;
  int sprites = 0, low_saturation = 0;
  for (int64_t i = 0; i < kScenes; ++i) {
    const DspritesScene scene = sample_dsprites_scene(options, i);
    counts[scene.sprites.size()]++;
    background_sum += scene.background;
    background_sq += static_cast<double>(scene.background) * scene.background;
    for (const Sprite& s : scene.sprites) {
      ++sprites;
      const int hi = *std::max_element(s.color.begin(), s.color.end());
      const int lo = *std::min_element(s.color.begin(), s.color.end());
      low_saturation += (hi - lo) < 0.75 * hi - 1;  // HSV saturation (hi - lo) / hi below 0.75
    }
  }
  const double p = 0.25, binomial_sd = std::sqrt(kScenes * p * (1 - p));
  for (size_t k = 2; k <= 5; ++k) {
    std::printf("sprites %zu: %d of %d scenes\n", k, counts[k], kScenes);
    EXPECT_NEAR(counts[k], kScenes * p, 4 * binomial_sd) << k << " sprites";
  }
  EXPECT_EQ(counts.size(), 4u);
  const double mean = background_sum / kScenes;
  const double sd = std::sqrt(background_sq / kScenes - mean * mean);
  std::printf("background grey level: mean %.1f, sd %.1f (uniform 0..255: 127.5, 73.9)\n", mean,
              sd);
  EXPECT_NEAR(mean, 127.5, 4 * 73.9 / std::sqrt(kScenes));
  EXPECT_EQ(low_saturation, 0) << "of " << sprites << " sprites";
}

}  // namespace
}  // namespace dti::datasets
