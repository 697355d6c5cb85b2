#pragma once
// Images for the HTML report: a plain HWC float struct, PNG reading and writing (stb), and the
// small compositions the report needs (sprites on a checkerboard, label maps in colour, grids).

#include <cstdint>
#include <string>
#include <vector>

namespace dti::reports {

/// An image in height × width × channels order (HWC), values in [0, 1].
/// Channels: 1 grey (masks), 2 grey + alpha, 3 RGB, 4 RGBA (sprites).
struct Image {
  /// Rows.
  int height = 0;
  /// Columns.
  int width = 0;
  /// Channels per pixel (1 to 4).
  int channels = 0;
  /// height * width * channels values, row-major, channels innermost.
  std::vector<float> data;

  /// A black (zero) image of the given size.
  static Image zeros(int height, int width, int channels);
  /// Value at row y, column x, channel c.
  float& at(int y, int x, int c) { return data[(size_t(y) * width + x) * channels + c]; }
  /// Value at row y, column x, channel c.
  float at(int y, int x, int c) const { return data[(size_t(y) * width + x) * channels + c]; }
  /// Throws dti::Error when the sizes or the data length are inconsistent or a value is NaN.
  void validate(const std::string& what) const;
};

/// The bytes of an 8-bit PNG of `image` (values clamped to [0, 1]); `what` names it in errors.
std::string encode_png(const Image& image, const std::string& what = "encode_png");
/// Writes an 8-bit PNG (values clamped to [0, 1]) atomically; creates parent folders.
void write_png(const std::string& path, const Image& image);
/// Reads a PNG (or any format stb_image reads) into [0, 1] floats with its own channel count.
Image read_png(const std::string& path);

/// RGBA (or grey + alpha) composited over a grey checkerboard of `cell`-pixel squares → RGB,
/// so transparent sprite regions are visible.
Image compose_checkerboard(const Image& rgba, int cell = 4);

/// A label map (row-major, height × width) in colour: 0 (background) dark grey, label k > 0 the
/// k-th colour of a fixed 20-colour palette (cycling), negative labels black.
Image colorize_labels(const std::vector<int32_t>& labels, int height, int width);

/// Images laid out in a grid of `columns`, `padding` pixels apart on a background of `fill`;
/// all must have the same channel count; each cell is the size of the largest image.
Image tile_images(const std::vector<Image>& images, int columns, int padding = 2,
                  float fill = 1.0f);

}  // namespace dti::reports
