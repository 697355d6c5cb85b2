#pragma once
// Built-in Tetrominoes generator, matched to DeepMind's Tetris records (multi_object_datasets):
// 35x35 RGB, black background, three tetrominoes that never overlap (they may touch), each made of
// 5x5 blocks shaded with one bevel and coloured red, green, blue, yellow, magenta or cyan. Shape
// ids are the real data's (1..19); the semantic class of a piece is its shape id. Image i depends
// only on (seed, i), so a smaller --n gives a prefix of a larger one.

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "datasets/dataset_file.h"

namespace dti::datasets {

/// Image side of Tetrominoes.
constexpr int64_t kTetrominoesSize = 35;
/// Side of one block in pixels.
constexpr int kTetrominoBlock = 5;
/// Pieces per image.
constexpr int kTetrominoesPieces = 3;
/// Number of fixed-rotation shapes (ids 1..19).
constexpr int kTetrominoShapes = 19;

/// One fixed-rotation shape: its id in the real data and its blocks, rows top to bottom.
struct TetrominoShape {
  int id;                         ///< Shape id (1..19), the semantic class.
  std::vector<std::string> rows;  ///< '#' = block, '.' = empty, e.g. {"###", "#.."}.
  int height() const { return static_cast<int>(rows.size()); }         ///< Rows of blocks.
  int width() const { return static_cast<int>(rows.front().size()); }  ///< Columns of blocks.
};

/// The 19 shapes, indexed by id - 1.
const std::array<TetrominoShape, kTetrominoShapes>& tetromino_shapes();

/// The six colours (0/1 RGB): red, green, blue, yellow, magenta, cyan.
const std::array<std::array<uint8_t, 3>, 6>& tetromino_colors();

/// Bevel of one 5x5 block: pixel value = colour (0/1) x intensity.
const std::array<std::array<uint8_t, 5>, 5>& tetromino_bevel();

/// One placed piece.
struct TetrominoPiece {
  int shape = 1;  ///< Shape id 1..19.
  int color = 0;  ///< Index into tetromino_colors().
  int top = 0;    ///< Row of the bounding box's top-left pixel.
  int left = 0;   ///< Column of the bounding box's top-left pixel.
};

/// Options of `runexp data generate tetrominoes`.
struct TetrominoesOptions {
  int64_t count = 60000;      ///< Number of images (N); the paper trains on 60,000.
  uint64_t seed = 0;          ///< Seed; image i is a pure function of (seed, i).
  bool show_progress = true;  ///< Print progress to stderr.
  /// Throws dti::Error when count is outside 1..10,000,000.
  void validate() const;
};

/// Pixels (row, column) covered by `piece`, block by block.
std::vector<std::pair<int, int>> tetromino_pixels(const TetrominoPiece& piece);

/// The three pieces of image `index` (uniform shape, colour and position, rejection-sampled until
/// no two pieces share a pixel).
std::array<TetrominoPiece, kTetrominoesPieces> sample_tetrominoes_scene(uint64_t seed,
                                                                        int64_t index);

/// Renders pieces into a sample: image, instance mask (piece k has id k+1), semantic mask (shape
/// id).
Sample render_tetrominoes(const std::array<TetrominoPiece, kTetrominoesPieces>& pieces);

/// Layout and provenance of a generated Tetrominoes file.
DatasetInfo tetrominoes_info(const TetrominoesOptions& options);

/// Generates the dataset into `out_path` (temporary name, renamed when complete).
void generate_tetrominoes(const TetrominoesOptions& options, const std::string& out_path);

}  // namespace dti::datasets
