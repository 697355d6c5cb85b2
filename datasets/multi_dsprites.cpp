#include "datasets/multi_dsprites.h"

#include <algorithm>
#include <cmath>

#include "base/error.h"
#include "datasets/progress.h"
#include "datasets/provenance.h"
#include "datasets/random.h"

namespace dti::datasets {
namespace {

// Bump when the sampling or rendering changes, so that (seed, version) names one dataset.
constexpr int kMultiDspritesGeneratorVersion = 1;

// Geometry at scale 1, in pixels of the 64x64 canvas (see FORMAT.md, "Multi-dSprites geometry").
// Ellipse semi-axes: second moments of the seven ellipses among the real dSprites samples give
// semi-axes proportional to the scale latent with these factors (scales 0.6-0.9 observed).
constexpr double kEllipseSemiMajor = 11.0;
constexpr double kEllipseSemiMinor = 6.2;
// Heart: a square of side d turned 45 degrees (tip down) with two discs of diameter d on its upper
// edges; d = 11.2 gives the 223-pixel area of the real scale-1 heart.
constexpr double kHeartSide = 11.2;
// Square: no real sample shows one; its side gives it the ellipse's and heart's area (about 215).
constexpr double kSquareHalfSide = 7.3;
// Sprite centres span the middle 60% of the canvas: centre = 64 * (0.2 + 0.6 * position).
constexpr double kPositionMargin = 0.2;
constexpr double kPositionSpan = 0.6;
// Saturation and value of the random colours lie in [kMinSaturationValue, 1].
constexpr double kMinSaturationValue = 0.75;

constexpr int kScales = 6;
constexpr int kOrientations = 40;
constexpr int kPositions = 32;

double scale_of(const Sprite& s) { return 0.5 + 0.5 * s.scale / (kScales - 1); }
double angle_of(const Sprite& s) { return 2.0 * M_PI * s.orientation / (kOrientations - 1); }
double centre_of(int index) {
  const double position = static_cast<double>(index) / (kPositions - 1);
  return kDspritesSize * (kPositionMargin + kPositionSpan * position);
}

// Inside test in the sprite's own frame (u right, v up, unit = pixels at scale 1).
bool inside_shape(DspriteShape shape, double u, double v) {
  switch (shape) {
    case DspriteShape::kSquare:
      return std::abs(u) <= kSquareHalfSide && std::abs(v) <= kSquareHalfSide;
    case DspriteShape::kEllipse: {
      const double a = u / kEllipseSemiMajor, b = v / kEllipseSemiMinor;
      return a * a + b * b <= 1.0;
    }
    case DspriteShape::kHeart: {
      const double d = kHeartSide;
      const double half_diagonal = d / std::sqrt(2.0);
      // Centre the bounding box (tip at -half_diagonal, lobe tops at 0.854 d) on the origin.
      const double vv = v - 0.5 * (d / (2.0 * std::sqrt(2.0)) + d / 2.0 - half_diagonal);
      if (std::abs(u) + std::abs(vv) <= half_diagonal) return true;
      const double cx = d / (2.0 * std::sqrt(2.0)), cy = cx, r = d / 2.0;
      const double du = std::abs(u) - cx, dv = vv - cy;
      return du * du + dv * dv <= r * r;
    }
  }
  return false;
}

// Largest distance from a sprite's centre to any of its points, at scale 1 (for the raster box).
constexpr double kMaxRadius = 12.0;

std::array<uint8_t, 3> hsv_to_rgb(double h, double s, double v) {
  const double h6 = h * 6.0;
  const int sector = static_cast<int>(std::floor(h6)) % 6;
  const double f = h6 - std::floor(h6);
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double r = 0, g = 0, b = 0;
  switch (sector) {
    case 0:
      r = v, g = t, b = p;
      break;
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    default:
      r = v, g = p, b = q;
      break;
  }
  const auto byte = [](double x) { return static_cast<uint8_t>(std::lround(255.0 * x)); };
  return {byte(r), byte(g), byte(b)};
}

}  // namespace

MultiDspritesOptions MultiDspritesOptions::two_objects() {
  MultiDspritesOptions options;
  options.name = "multi_dsprites2";
  options.min_objects = 2;
  options.max_objects = 2;
  return options;
}

void MultiDspritesOptions::validate() const {
  DTI_CHECK(!name.empty(), "multi_dsprites: name must not be empty");
  DTI_CHECK(count >= 1 && count <= 10000000, name, ": --n ", count, " outside 1..10,000,000");
  DTI_CHECK(min_objects >= 1 && min_objects <= max_objects && max_objects <= 5, name,
            ": object counts ", min_objects, "..", max_objects,
            " must satisfy 1 <= min <= max <= 5");
}

bool sprite_covers(const Sprite& sprite, double px, double py) {
  const double dx = px - centre_of(sprite.x);
  const double dy = py - centre_of(sprite.y);
  const double angle = angle_of(sprite), scale = scale_of(sprite);
  // Image rows grow downwards; the shape frame has v up, and turns counter-clockwise on screen.
  const double up = -dy;
  const double u = (std::cos(angle) * dx + std::sin(angle) * up) / scale;
  const double v = (-std::sin(angle) * dx + std::cos(angle) * up) / scale;
  return inside_shape(sprite.shape, u, v);
}

DspritesScene sample_dsprites_scene(const MultiDspritesOptions& options, int64_t index) {
  Rng rng(stream_seed(options.seed, static_cast<uint64_t>(index)));
  DspritesScene scene;
  scene.background = static_cast<uint8_t>(rng.below(256));
  const auto count = static_cast<int>(rng.between(options.min_objects, options.max_objects));
  for (int k = 0; k < count; ++k) {
    Sprite s;
    s.shape = static_cast<DspriteShape>(rng.between(1, 3));
    s.scale = static_cast<int>(rng.below(kScales));
    s.orientation = static_cast<int>(rng.below(kOrientations));
    s.x = static_cast<int>(rng.below(kPositions));
    s.y = static_cast<int>(rng.below(kPositions));
    const double hue = rng.uniform();
    const double saturation = kMinSaturationValue + (1 - kMinSaturationValue) * rng.uniform();
    const double value = kMinSaturationValue + (1 - kMinSaturationValue) * rng.uniform();
    s.color = hsv_to_rgb(hue, saturation, value);
    scene.sprites.push_back(s);
  }
  return scene;
}

Sample render_dsprites(const DspritesScene& scene) {
  constexpr int64_t n = kDspritesSize * kDspritesSize;
  Sample s;
  s.image.assign(static_cast<size_t>(n * 3), scene.background);
  s.instance_mask.assign(static_cast<size_t>(n), 0);
  s.semantic_mask.assign(static_cast<size_t>(n), 0);
  for (size_t k = 0; k < scene.sprites.size(); ++k) {
    const Sprite& sprite = scene.sprites[k];
    const double reach = kMaxRadius * scale_of(sprite) + 1.0;
    const auto lo = [&](double c) { return std::max<int64_t>(0, std::lround(c - reach)); };
    const auto hi = [&](double c) {
      return std::min<int64_t>(kDspritesSize - 1, std::lround(c + reach));
    };
    const double cx = centre_of(sprite.x), cy = centre_of(sprite.y);
    for (int64_t y = lo(cy); y <= hi(cy); ++y) {
      for (int64_t x = lo(cx); x <= hi(cx); ++x) {
        if (!sprite_covers(sprite, static_cast<double>(x) + 0.5, static_cast<double>(y) + 0.5)) {
          continue;
        }
        const auto p = static_cast<size_t>(y * kDspritesSize + x);
        for (size_t c = 0; c < 3; ++c) s.image[3 * p + c] = sprite.color[c];
        s.instance_mask[p] = static_cast<uint8_t>(k + 1);
        s.semantic_mask[p] = static_cast<uint8_t>(sprite.shape);
      }
    }
  }
  return s;
}

DatasetInfo multi_dsprites_info(const MultiDspritesOptions& options) {
  DatasetInfo info;
  info.name = options.name;
  info.height = kDspritesSize;
  info.width = kDspritesSize;
  info.has_instance_masks = true;
  info.has_semantic_masks = true;
  info.num_classes = 3;
  info.max_objects = options.max_objects;
  info.provenance = generator_provenance(
      options.name, kMultiDspritesGeneratorVersion, options.seed, options.count,
      "\"min_objects\":" + std::to_string(options.min_objects) +
          ",\"max_objects\":" + std::to_string(options.max_objects));
  return info;
}

void generate_multi_dsprites(const MultiDspritesOptions& options, const std::string& out_path) {
  options.validate();
  DatasetWriter writer(out_path, multi_dsprites_info(options));
  Progress progress("generate " + options.name, options.count, "images", options.show_progress);
  for (int64_t i = 0; i < options.count; ++i) {
    writer.append(render_dsprites(sample_dsprites_scene(options, i)));
    progress.update(i + 1);
  }
  writer.finish();
  progress.finish(options.count);
}

}  // namespace dti::datasets
