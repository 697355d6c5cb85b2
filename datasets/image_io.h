#pragma once
// 8-bit images in memory, read and written with stb (PNG, JPEG, PPM/PGM, BMP, TGA, GIF), plus the
// two resizing rules the converters use.

#include <cstdint>
#include <string>
#include <vector>

namespace dti::datasets {

/// An 8-bit image, row-major, channels interleaved.
struct Image {
  int64_t height = 0;           ///< Rows.
  int64_t width = 0;            ///< Columns.
  int64_t channels = 0;         ///< 1 (grey) or 3 (RGB).
  std::vector<uint8_t> pixels;  ///< [height, width, channels].
  /// Value at (row, column, channel).
  uint8_t at(int64_t y, int64_t x, int64_t c = 0) const {
    return pixels[static_cast<size_t>((y * width + x) * channels + c)];
  }
};

/// Most pixels load_image() decodes (a 10000x10000 photo), so that a damaged header cannot make it
/// allocate gigabytes.
constexpr int64_t kMaxImagePixels = int64_t{100} * 1000 * 1000;

/// What an image's bytes claim to be, by stb_image's header reader, after the checks load_image()
/// makes before decoding: at most 2 GiB, no damaged JPEG Huffman table, no 16-bit PGM/PPM, at most
/// kMaxImagePixels (each refusal a dti::Error naming `path`). 0x0 where stb finds no header.
struct ImageHeader {
  int width = 0, height = 0;
};
ImageHeader checked_image_header(const std::string& bytes, const std::string& path);

/// Decodes an image file to `channels` (1 = grey, 3 = RGB) channels; throws dti::Error with stb's
/// reason when the file is missing, not a readable image, empty or over kMaxImagePixels.
Image load_image(const std::string& path, int channels);

/// Resizes with a triangle (bilinear) filter whose support widens when shrinking: Pillow's
/// `Image.resize(size, BILINEAR)`, reproduced to the bit (same fixed-point arithmetic, horizontal
/// pass first), since the authors' loaders resize through torchvision's Resize on PIL images.
Image resize_bilinear(const Image& image, int64_t height, int64_t width);

/// Resizes by nearest neighbour on pixel centres: source = floor((dst + 0.5) * in / out), PIL's
/// NEAREST rule. Used for masks, whose values must stay labels.
Image resize_nearest(const Image& image, int64_t height, int64_t width);

/// Rows top..top+height-1 and columns left..left+width-1; throws when outside the image.
Image crop(const Image& image, int64_t top, int64_t left, int64_t height, int64_t width);

/// Writes a PNG through a temporary file renamed on success; throws dti::Error on failure.
void write_png(const std::string& path, const Image& image);

}  // namespace dti::datasets
