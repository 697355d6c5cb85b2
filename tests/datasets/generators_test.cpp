// Built-in generators: statistics of the generated data against the real records and samples.

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "datasets/dataset_file.h"
#include "datasets/image_io.h"
#include "datasets/multi_dsprites.h"
#include "datasets/tetrominoes.h"
#include "datasets/tf_example.h"
#include "datasets/tfrecord.h"
#include "tests/datasets/test_util.h"

namespace dti::datasets {
namespace {

constexpr int kT = kTetrominoesSize;

TEST(TetrominoesTest, ShapeTableMatchesTheRealRecords) {
  // Every piece of the ten real records is exactly its shape's blocks at (y, x) = (top, left).
  TfRecordReader reader(test::fixture("tetrominoes/tetrominoes_mini.tfrecords"));
  std::string data;
  int pieces = 0;
  while (reader.next(data)) {
    const ExampleView example(data, "real");
    const auto mask = example.bytes("mask", 4 * kT * kT);
    const auto shape = example.floats("shape", 4);
    const auto top = example.floats("x", 4);   // DeepMind's `x` is the row of the top-left pixel
    const auto left = example.floats("y", 4);  // and `y` its column
    for (int e = 1; e < 4; ++e) {
      TetrominoPiece piece{static_cast<int>(shape[e]), 0, static_cast<int>(top[e]),
                           static_cast<int>(left[e])};
      std::vector<bool> ours(kT * kT, false);
      for (const auto& [y, x] : tetromino_pixels(piece))
        ours[static_cast<size_t>(y * kT + x)] = true;
      for (int p = 0; p < kT * kT; ++p) {
        const bool real = mask[static_cast<size_t>(e * kT * kT + p)] > 0;
        ASSERT_EQ(real, ours[static_cast<size_t>(p)]) << "shape " << shape[e] << " pixel " << p;
      }
      ++pieces;
    }
  }
  EXPECT_EQ(pieces, 30);
}

TEST(TetrominoesTest, StatisticsOfTwoThousandImages) {
  std::set<int> shapes, colors, values;
  std::map<int, int> tops, lefts;
  int touching = 0;
  bool bevel_ok = true;
  const auto& bevel = tetromino_bevel();
  for (int64_t i = 0; i < 2000; ++i) {
    const auto pieces = sample_tetrominoes_scene(42, i);
    const Sample s = render_tetrominoes(pieces);
    // No overlap: each piece keeps all of its 4 blocks of 25 pixels.
    for (int k = 1; k <= 3; ++k) {
      ASSERT_EQ(std::count(s.instance_mask.begin(), s.instance_mask.end(), k), 100) << i;
    }
    for (const auto& piece : pieces) {
      shapes.insert(piece.shape);
      colors.insert(piece.color);
      const auto& shape = tetromino_shapes()[static_cast<size_t>(piece.shape - 1)];
      ASSERT_GE(piece.top, 0);
      ASSERT_LE(piece.top + 5 * shape.height(), kT);
      ASSERT_LE(piece.left + 5 * shape.width(), kT);
      tops[piece.top]++;
      lefts[piece.left]++;
      // Pixel = colour (0/1 per channel) x the bevel of its position in the block.
      const auto& color = tetromino_colors()[static_cast<size_t>(piece.color)];
      for (int by = 0; by < 5; ++by) {
        for (int bx = 0; bx < 5; ++bx) {
          const int y = piece.top + by, x = piece.left + bx;
          if (shape.rows[0][0] != '#') continue;  // first block present only
          for (int c = 0; c < 3; ++c) {
            bevel_ok &=
                s.image[static_cast<size_t>((y * kT + x) * 3 + c)] == color[c] * bevel[by][bx];
          }
        }
      }
    }
    for (uint8_t v : s.image) values.insert(v);
    for (int y = 0; y < kT; ++y) {
      for (int x = 0; x + 1 < kT; ++x) {
        const uint8_t a = s.instance_mask[static_cast<size_t>(y * kT + x)];
        const uint8_t b = s.instance_mask[static_cast<size_t>(y * kT + x + 1)];
        touching += a && b && a != b;
      }
    }
    // Semantic class = shape id of the piece.
    for (int p = 0; p < kT * kT; ++p) {
      const uint8_t id = s.instance_mask[static_cast<size_t>(p)];
      ASSERT_EQ(s.semantic_mask[static_cast<size_t>(p)], id ? pieces[id - 1].shape : 0);
    }
  }
  EXPECT_EQ(shapes.size(), 19u) << "all 19 shapes appear";
  EXPECT_EQ(colors.size(), 6u);
  EXPECT_TRUE(bevel_ok);
  // The same eight pixel values as the real records.
  EXPECT_EQ(values, (std::set<int>{0, 63, 95, 127, 159, 191, 223, 255}));
  EXPECT_EQ(tops.begin()->first, 0);
  EXPECT_EQ(tops.rbegin()->first, kT - 5);  // a horizontal I reaches the bottom row
  EXPECT_EQ(lefts.rbegin()->first, kT - 5);
  EXPECT_GT(touching, 0) << "pieces may touch, as in real record 2";
}

TEST(TetrominoesTest, RealRecordsHaveTheSamePixelValues) {
  std::set<int> values;
  for (int i = 0; i < 10; ++i) {
    for (uint8_t v : load_image(test::fixture("tetrominoes/decoded_ref_layout/images/" +
                                              std::to_string(i) + ".png"),
                                3)
                         .pixels) {
      values.insert(v);
    }
  }
  EXPECT_EQ(values, (std::set<int>{0, 63, 95, 127, 159, 191, 223, 255}));
}

TEST(TetrominoesTest, ImageDependsOnlyOnSeedAndIndex) {
  EXPECT_EQ(render_tetrominoes(sample_tetrominoes_scene(3, 17)).image,
            render_tetrominoes(sample_tetrominoes_scene(3, 17)).image);
  EXPECT_NE(render_tetrominoes(sample_tetrominoes_scene(3, 17)).image,
            render_tetrominoes(sample_tetrominoes_scene(4, 17)).image);
  EXPECT_NE(render_tetrominoes(sample_tetrominoes_scene(3, 17)).image,
            render_tetrominoes(sample_tetrominoes_scene(3, 18)).image);
}

class GeneratorFileTest : public test::ScratchTest {};

TEST_F(GeneratorFileTest, SmallerCountIsAPrefix) {
  TetrominoesOptions options;
  options.show_progress = false;
  options.count = 30;
  generate_tetrominoes(options, path("30.h5"));
  options.count = 12;
  generate_tetrominoes(options, path("12.h5"));
  DatasetReader big(path("30.h5")), small(path("12.h5"));
  for (int i = 0; i < 12; ++i) EXPECT_EQ(big.read(i).image, small.read(i).image);
  EXPECT_EQ(big.info().provenance.find("\"generator\":\"tetrominoes\"") != std::string::npos, true);
}

TEST(MultiDspritesTest, ScenesFollowTheLatentGridAndOcclusionOrder) {
  MultiDspritesOptions options;
  std::map<size_t, int> counts;
  std::set<int> shapes;
  for (int64_t i = 0; i < 600; ++i) {
    const DspritesScene scene = sample_dsprites_scene(options, i);
    counts[scene.sprites.size()]++;
    const Sample s = render_dsprites(scene);
    for (int p = 0; p < 64 * 64; ++p) {
      const uint8_t id = s.instance_mask[static_cast<size_t>(p)];
      const uint8_t* rgb = &s.image[static_cast<size_t>(3 * p)];
      if (id == 0) {
        // Uniform grey background.
        ASSERT_TRUE(rgb[0] == scene.background && rgb[1] == scene.background &&
                    rgb[2] == scene.background);
        ASSERT_EQ(s.semantic_mask[static_cast<size_t>(p)], 0);
        continue;
      }
      const Sprite& sprite = scene.sprites[id - 1];
      shapes.insert(static_cast<int>(sprite.shape));
      // Visible pixel: covered by sprite id and by no later sprite; coloured by it.
      const double px = p % 64 + 0.5, py = p / 64 + 0.5;
      ASSERT_TRUE(sprite_covers(sprite, px, py));
      for (size_t later = id; later < scene.sprites.size(); ++later) {
        ASSERT_FALSE(sprite_covers(scene.sprites[later], px, py));
      }
      ASSERT_TRUE(rgb[0] == sprite.color[0] && rgb[1] == sprite.color[1] &&
                  rgb[2] == sprite.color[2]);
      ASSERT_EQ(s.semantic_mask[static_cast<size_t>(p)], static_cast<int>(sprite.shape));
    }
    for (const Sprite& sprite : scene.sprites) {
      // Saturated colours: max - min >= 0.75 * 0.75 * 255 (S and V >= 0.75).
      const int hi = *std::max_element(sprite.color.begin(), sprite.color.end());
      const int lo = *std::min_element(sprite.color.begin(), sprite.color.end());
      ASSERT_GE(hi - lo, 143);
      ASSERT_TRUE(sprite.scale >= 0 && sprite.scale < 6 && sprite.orientation >= 0 &&
                  sprite.orientation < 40 && sprite.x >= 0 && sprite.x < 32 && sprite.y >= 0 &&
                  sprite.y < 32);
    }
  }
  EXPECT_EQ(counts.size(), 4u) << "2 to 5 sprites";
  EXPECT_EQ(counts.begin()->first, 2u);
  EXPECT_EQ(counts.rbegin()->first, 5u);
  EXPECT_EQ(shapes, (std::set<int>{1, 2, 3}));
  const auto two = MultiDspritesOptions::two_objects();
  for (int64_t i = 0; i < 50; ++i) EXPECT_EQ(sample_dsprites_scene(two, i).sprites.size(), 2u);
  EXPECT_EQ(two.name, "multi_dsprites2");
}

// The analytic shapes reproduce real dSprites images: for each of the ten real samples, some
// latent-grid sprite of the right shape overlaps it with IoU >= 0.8 (ellipses 0-2, 5, 6, 8, 9;
// hearts 3, 4, 7, told apart by their second moments in FORMAT.md).
TEST(MultiDspritesTest, GeometryFitsRealDspritesSamples) {
  const DspriteShape expected[10] = {
      DspriteShape::kEllipse, DspriteShape::kEllipse, DspriteShape::kEllipse, DspriteShape::kHeart,
      DspriteShape::kHeart,   DspriteShape::kEllipse, DspriteShape::kEllipse, DspriteShape::kHeart,
      DspriteShape::kEllipse, DspriteShape::kEllipse};
  for (int k = 0; k < 10; ++k) {
    const Image real = load_image(test::fixture("dsprites/org_" + std::to_string(k) + ".png"), 1);
    double cx = 0, cy = 0;
    int area = 0;
    for (int y = 0; y < 64; ++y) {
      for (int x = 0; x < 64; ++x) {
        if (real.at(y, x) > 127) cx += x + 0.5, cy += y + 0.5, ++area;
      }
    }
    cx /= area;
    cy /= area;
    const int x0 = std::max(0, static_cast<int>(cx) - 15),
              x1 = std::min(63, static_cast<int>(cx) + 15);
    const int y0 = std::max(0, static_cast<int>(cy) - 15),
              y1 = std::min(63, static_cast<int>(cy) + 15);
    double best = 0;
    DspriteShape best_shape = DspriteShape::kSquare;
    for (int shape = 1; shape <= 3; ++shape) {
      for (int scale = 0; scale < 6; ++scale) {
        for (int orientation = 0; orientation < 40; ++orientation) {
          for (int gx = 0; gx < 32; ++gx) {
            for (int gy = 0; gy < 32; ++gy) {
              const double sx = 64 * (0.2 + 0.6 * gx / 31.0), sy = 64 * (0.2 + 0.6 * gy / 31.0);
              if (std::abs(sx - cx) > 2.5 || std::abs(sy - cy) > 2.5) continue;
              const Sprite sprite{static_cast<DspriteShape>(shape), scale, orientation, gx, gy, {}};
              int inter = 0, uni = 0;
              for (int y = y0; y <= y1; ++y) {
                for (int x = x0; x <= x1; ++x) {
                  const bool a = real.at(y, x) > 127, b = sprite_covers(sprite, x + 0.5, y + 0.5);
                  inter += a && b;
                  uni += a || b;
                }
              }
              const double iou = static_cast<double>(inter) / uni;
              if (iou > best) best = iou, best_shape = sprite.shape;
            }
          }
        }
      }
    }
    EXPECT_GE(best, 0.8) << "sample " << k;
    EXPECT_EQ(best_shape, expected[k]) << "sample " << k;
  }
}

}  // namespace
}  // namespace dti::datasets
