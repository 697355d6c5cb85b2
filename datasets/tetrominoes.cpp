#include "datasets/tetrominoes.h"

#include "base/error.h"
#include "datasets/progress.h"
#include "datasets/provenance.h"
#include "datasets/random.h"

namespace dti::datasets {
namespace {

// Bump when the sampling or rendering changes, so that (seed, version) names one dataset.
constexpr int kTetrominoesGeneratorVersion = 1;
// Placement attempts for one piece before the whole image is redrawn (never reached in practice:
// three pieces of at most 4 blocks leave most of a 35x35 canvas free).
constexpr int kPlacementAttempts = 1000;

using Occupancy = std::array<bool, kTetrominoesSize * kTetrominoesSize>;

// Whether `piece` fits on the canvas without covering an occupied pixel.
bool fits(const TetrominoPiece& piece, const Occupancy& occupied) {
  const auto& shape = tetromino_shapes()[static_cast<size_t>(piece.shape - 1)];
  for (int r = 0; r < shape.height(); ++r) {
    for (int c = 0; c < shape.width(); ++c) {
      if (shape.rows[static_cast<size_t>(r)][static_cast<size_t>(c)] != '#') continue;
      for (int dy = 0; dy < kTetrominoBlock; ++dy) {
        const int y = piece.top + r * kTetrominoBlock + dy;
        const int x0 = piece.left + c * kTetrominoBlock;
        for (int dx = 0; dx < kTetrominoBlock; ++dx) {
          if (occupied[static_cast<size_t>(y * kTetrominoesSize + x0 + dx)]) return false;
        }
      }
    }
  }
  return true;
}

// Calls `paint(y, x, by, bx)` for every pixel of `piece` (by, bx = position inside its block).
template <typename Paint>
void for_each_pixel(const TetrominoPiece& piece, Paint paint) {
  const auto& shape = tetromino_shapes()[static_cast<size_t>(piece.shape - 1)];
  for (int r = 0; r < shape.height(); ++r) {
    for (int c = 0; c < shape.width(); ++c) {
      if (shape.rows[static_cast<size_t>(r)][static_cast<size_t>(c)] != '#') continue;
      for (int by = 0; by < kTetrominoBlock; ++by) {
        for (int bx = 0; bx < kTetrominoBlock; ++bx) {
          paint(piece.top + r * kTetrominoBlock + by, piece.left + c * kTetrominoBlock + bx, by,
                bx);
        }
      }
    }
  }
}

}  // namespace

const std::array<TetrominoShape, kTetrominoShapes>& tetromino_shapes() {
  // Ids 2, 3, 5-7, 9-19 were read off the real records (tests/fixtures/datasets/tetrominoes);
  // 1, 4 and 8 are the three rotations the ten real records do not show, given the remaining ids.
  static const std::array<TetrominoShape, kTetrominoShapes> shapes = {{
      {1, {"####"}},
      {2, {"#", "#", "#", "#"}},
      {3, {"###", "#.."}},
      {4, {"#..", "###"}},
      {5, {"..#", "###"}},
      {6, {"###", "..#"}},
      {7, {"##", ".#", ".#"}},
      {8, {".#", ".#", "##"}},
      {9, {"##", "#.", "#."}},
      {10, {"#.", "#.", "##"}},
      {11, {"##.", ".##"}},
      {12, {".##", "##."}},
      {13, {".#", "##", "#."}},
      {14, {"#.", "##", ".#"}},
      {15, {".#.", "###"}},
      {16, {"###", ".#."}},
      {17, {".#", "##", ".#"}},
      {18, {"#.", "##", "#."}},
      {19, {"##", "##"}},
  }};
  return shapes;
}

const std::array<std::array<uint8_t, 3>, 6>& tetromino_colors() {
  static const std::array<std::array<uint8_t, 3>, 6> colors = {
      {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}}};
  return colors;
}

const std::array<std::array<uint8_t, 5>, 5>& tetromino_bevel() {
  // Measured on every block of the real records: lit top edge, dark bottom edge.
  static const std::array<std::array<uint8_t, 5>, 5> bevel = {{{191, 255, 255, 255, 223},
                                                               {127, 159, 159, 159, 191},
                                                               {127, 159, 159, 159, 191},
                                                               {127, 159, 159, 159, 191},
                                                               {95, 63, 63, 63, 127}}};
  return bevel;
}

std::vector<std::pair<int, int>> tetromino_pixels(const TetrominoPiece& piece) {
  std::vector<std::pair<int, int>> out;
  for_each_pixel(piece, [&](int y, int x, int, int) { out.emplace_back(y, x); });
  return out;
}

void TetrominoesOptions::validate() const {
  DTI_CHECK(count >= 1 && count <= 10000000, "tetrominoes: --n ", count, " outside 1..10,000,000");
}

std::array<TetrominoPiece, kTetrominoesPieces> sample_tetrominoes_scene(uint64_t seed,
                                                                        int64_t index) {
  Rng rng(stream_seed(seed, static_cast<uint64_t>(index)));
  while (true) {
    Occupancy occupied{};
    std::array<TetrominoPiece, kTetrominoesPieces> pieces;
    bool placed_all = true;
    for (auto& piece : pieces) {
      piece.shape = static_cast<int>(rng.between(1, kTetrominoShapes));
      piece.color = static_cast<int>(rng.below(tetromino_colors().size()));
      const auto& shape = tetromino_shapes()[static_cast<size_t>(piece.shape - 1)];
      const int max_top = kTetrominoesSize - shape.height() * kTetrominoBlock;
      const int max_left = kTetrominoesSize - shape.width() * kTetrominoBlock;
      bool placed = false;
      for (int attempt = 0; attempt < kPlacementAttempts && !placed; ++attempt) {
        piece.top = static_cast<int>(rng.between(0, max_top));
        piece.left = static_cast<int>(rng.between(0, max_left));
        placed = fits(piece, occupied);
      }
      if (!placed) {
        placed_all = false;
        break;
      }
      for_each_pixel(piece, [&](int y, int x, int, int) {
        occupied[static_cast<size_t>(y * kTetrominoesSize + x)] = true;
      });
    }
    if (placed_all) return pieces;
  }
}

Sample render_tetrominoes(const std::array<TetrominoPiece, kTetrominoesPieces>& pieces) {
  constexpr int64_t n = kTetrominoesSize * kTetrominoesSize;
  Sample s;
  s.image.assign(static_cast<size_t>(n * 3), 0);
  s.instance_mask.assign(static_cast<size_t>(n), 0);
  s.semantic_mask.assign(static_cast<size_t>(n), 0);
  const auto& bevel = tetromino_bevel();
  for (size_t k = 0; k < pieces.size(); ++k) {
    const auto& piece = pieces[k];
    const auto& color = tetromino_colors()[static_cast<size_t>(piece.color)];
    for_each_pixel(piece, [&](int y, int x, int by, int bx) {
      const auto p = static_cast<size_t>(y * kTetrominoesSize + x);
      const uint8_t intensity = bevel[static_cast<size_t>(by)][static_cast<size_t>(bx)];
      for (size_t c = 0; c < 3; ++c)
        s.image[3 * p + c] = static_cast<uint8_t>(color[c] * intensity);
      s.instance_mask[p] = static_cast<uint8_t>(k + 1);
      s.semantic_mask[p] = static_cast<uint8_t>(piece.shape);
    });
  }
  return s;
}

DatasetInfo tetrominoes_info(const TetrominoesOptions& options) {
  DatasetInfo info;
  info.name = "tetrominoes";
  info.height = kTetrominoesSize;
  info.width = kTetrominoesSize;
  info.has_instance_masks = true;
  info.has_semantic_masks = true;
  info.num_classes = kTetrominoShapes;
  info.max_objects = kTetrominoesPieces;
  info.provenance = generator_provenance("tetrominoes", kTetrominoesGeneratorVersion, options.seed,
                                         options.count);
  return info;
}

void generate_tetrominoes(const TetrominoesOptions& options, const std::string& out_path) {
  options.validate();
  DatasetWriter writer(out_path, tetrominoes_info(options));
  Progress progress("generate tetrominoes", options.count, "images", options.show_progress);
  for (int64_t i = 0; i < options.count; ++i) {
    writer.append(render_tetrominoes(sample_tetrominoes_scene(options.seed, i)));
    progress.update(i + 1);
  }
  writer.finish();
  progress.finish(options.count);
}

}  // namespace dti::datasets
