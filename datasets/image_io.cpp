#include "datasets/image_io.h"

#include <stb_image.h>
#include <stb_image_write.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace dti::datasets {
namespace {

// The whole file, for the checks below and for stb.
std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DTI_CHECK(in.good(), "image file '", path, "' cannot be read");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Debian's stb_image (git 2022-09-08) trusts a JPEG's Huffman code counts: a DHT table whose 16
// counts add up to more than 256 makes stbi__build_huffman and the value loop write past their
// 256/257-entry arrays (heap overflow; upstream stb 2.28 refuses such tables). Found by
// tests/fuzz/image_csv_fuzzer.cpp. This walks the JPEG's marker segments (JPEG standard, ITU-T
// T.81 Annex B) before stb does and returns what is wrong with any DHT segment, or "".
// `pos` is the first byte after the SOI marker (jpeg_start).
std::string jpeg_table_problem(const std::string& bytes, size_t pos) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t size = bytes.size();
  while (pos + 1 < size) {
    if (p[pos] != 0xFF) {  // entropy-coded data after SOS: skip to the next real marker
      ++pos;
      continue;
    }
    const unsigned char marker = p[pos + 1];
    if (marker == 0xFF || marker == 0x00 || marker == 0x01 || marker == 0xD8 ||
        (marker >= 0xD0 && marker <= 0xD7)) {
      pos += marker == 0xFF ? 1 : 2;  // fill byte, stuffed zero, TEM, SOI, RSTn: no length
      continue;
    }
    if (marker == 0xD9 || pos + 4 > size) return "";  // EOI, or too short for stb to go on
    const size_t length = size_t{p[pos + 2]} << 8 | p[pos + 3];  // includes its own 2 bytes
    if (marker == 0xC4) {
      // Tables as stb reads them: while the segment's length is not used up, even when the last
      // table runs past it into the next segment (stb only complains afterwards), or past the end
      // of the file, where stb reads zeros (found by fuzzing, regress_jpeg_dht_past_end).
      int64_t remaining = static_cast<int64_t>(length) - 2;
      for (size_t t = pos + 4; remaining > 0 && t < size;) {
        size_t codes = 0;
        for (size_t i = 1; i <= 16 && t + i < size; ++i) codes += p[t + i];
        if (codes > 256) {
          return detail::concat("a Huffman table (DHT) with ", codes, " codes, at most 256");
        }
        remaining -= static_cast<int64_t>(17 + codes);
        t += 17 + codes;
      }
    }
    pos += 2 + length;
  }
  return "";
}

// Where a JPEG's segments begin, or 0 if the bytes are not one to stb: like stb's marker reader,
// any number of 0xFF fill bytes may come before the SOI marker's D8 (a file starting FF FF … FF D8
// is decoded as a JPEG; found by fuzzing, regress_jpeg_dht_after_fill).
size_t jpeg_start(const std::string& bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.empty() || p[0] != 0xFF) return 0;
  size_t pos = 1;
  while (pos < bytes.size() && p[pos] == 0xFF) ++pos;
  return pos < bytes.size() && p[pos] == 0xD8 ? pos + 1 : 0;
}

}  // namespace

ImageHeader checked_image_header(const std::string& bytes, const std::string& path) {
  DTI_CHECK(bytes.size() <= static_cast<size_t>(INT32_MAX), "image file '", path, "' has ",
            bytes.size(), " bytes, more than stb_image reads (2 GiB)");
  const auto* raw = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(bytes.size());
  if (const size_t start = jpeg_start(bytes); start > 0) {
    const std::string problem = jpeg_table_problem(bytes, start);
    DTI_CHECK(problem.empty(), "image file '", path, "' is a damaged JPEG (", problem,
              "); re-download or re-export it");
  }
  ImageHeader header;
  int file_channels = 0;
  // The header's size first: stb allocates what a damaged header claims (found by fuzzing,
  // tests/fuzz/image_csv_fuzzer.cpp).
  if (stbi_info_from_memory(raw, length, &header.width, &header.height, &file_channels) != 0) {
    DTI_CHECK(static_cast<int64_t>(header.width) * header.height <= kMaxImagePixels, "image file '",
              path, "' claims ", header.width, "x", header.height, " pixels, more than the ",
              kMaxImagePixels,
              " this reader accepts; is it damaged, or does it need shrinking first?");
  }
  // Debian's stb_image 2.27 decodes a 16-bit PGM/PPM (maxval over 255) wrongly: it reads the
  // samples little-endian (Netpbm's are big-endian), and converting its channels it uses the
  // 8-bit converter, then reads twice the bytes that wrote (heap overflow; found by fuzzing,
  // regress_ppm16_to_grey). Such files are refused before stb decodes them.
  const bool pnm = length >= 2 && raw[0] == 'P' && (raw[1] == '5' || raw[1] == '6');
  DTI_CHECK(!pnm || stbi_is_16_bit_from_memory(raw, length) == 0, "image file '", path,
            "' is a 16-bit PGM/PPM (maxval over 255), which this build's stb_image decodes "
            "wrongly; convert it to 8 bits first (e.g. ImageMagick: convert IN -depth 8 OUT)");
  return header;
}

Image load_image(const std::string& path, int channels) {
  DTI_CHECK(channels == 1 || channels == 3, "load_image: channels must be 1 or 3, got ", channels);
  DTI_CHECK(std::filesystem::exists(path), "image file '", path, "' does not exist");
  const std::string bytes = read_bytes(path);
  checked_image_header(bytes, path);
  const auto* raw = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int length = static_cast<int>(bytes.size());
  int w = 0, h = 0, file_channels = 0;
  stbi_uc* data = stbi_load_from_memory(raw, length, &w, &h, &file_channels, channels);
  DTI_CHECK(data != nullptr, "cannot decode image '", path,
            "' (stb_image: ", stbi_failure_reason() ? stbi_failure_reason() : "unknown reason",
            "): is it a complete PNG, JPEG, PPM, BMP, TGA or GIF file?");
  if (w <= 0 || h <= 0) {
    // stb decodes e.g. a PPM whose height field is not a number as 0 rows (found by fuzzing).
    stbi_image_free(data);
    throw Error(detail::concat("image file '", path, "' has ", w, "x", h,
                               " pixels; is it a complete PNG, JPEG, PPM, BMP, TGA or GIF file?"));
  }
  Image out;
  out.height = h;
  out.width = w;
  out.channels = channels;
  out.pixels.assign(data, data + static_cast<size_t>(w) * h * channels);
  stbi_image_free(data);
  return out;
}

namespace {

// Pillow's fixed-point precision for 8-bit resampling (libImaging/Resample.c).
constexpr int kPrecisionBits = 32 - 8 - 2;

// Resampling weights of one axis: for output position o, taps first[o] .. first[o]+count[o]-1
// with fixed-point weights weights[o * taps_max + t]. Same arithmetic as Pillow's
// precompute_coeffs() + normalize_coeffs_8bpc() with the BILINEAR (triangle) filter.
struct Taps {
  int64_t taps_max = 0;
  std::vector<int64_t> first, count;
  std::vector<int32_t> weights;
};

Taps bilinear_taps(int64_t in_size, int64_t out_size) {
  const double scale = static_cast<double>(in_size) / static_cast<double>(out_size);
  const double filter_scale = std::max(scale, 1.0);
  const double support = 1.0 * filter_scale;
  Taps taps;
  taps.taps_max = static_cast<int64_t>(std::ceil(support)) * 2 + 1;
  taps.first.resize(static_cast<size_t>(out_size));
  taps.count.resize(static_cast<size_t>(out_size));
  taps.weights.assign(static_cast<size_t>(out_size * taps.taps_max), 0);
  std::vector<double> w(static_cast<size_t>(taps.taps_max));
  for (int64_t o = 0; o < out_size; ++o) {
    const double center = (static_cast<double>(o) + 0.5) * scale;
    auto lo = static_cast<int64_t>(center - support + 0.5);  // C truncation, as Pillow
    lo = std::max<int64_t>(lo, 0);
    auto hi = static_cast<int64_t>(center + support + 0.5);
    hi = std::min(hi, in_size);
    const int64_t n = hi - lo;
    double total = 0.0;
    for (int64_t t = 0; t < n; ++t) {
      const double x = std::abs((static_cast<double>(t + lo) - center + 0.5) / filter_scale);
      w[static_cast<size_t>(t)] = x < 1.0 ? 1.0 - x : 0.0;
      total += w[static_cast<size_t>(t)];
    }
    for (int64_t t = 0; t < n; ++t) {
      const double k = total != 0.0 ? w[static_cast<size_t>(t)] / total : w[static_cast<size_t>(t)];
      taps.weights[static_cast<size_t>(o * taps.taps_max + t)] = static_cast<int32_t>(
          k < 0 ? -0.5 + k * (1 << kPrecisionBits) : 0.5 + k * (1 << kPrecisionBits));
    }
    taps.first[static_cast<size_t>(o)] = lo;
    taps.count[static_cast<size_t>(o)] = n;
  }
  return taps;
}

uint8_t clip8(int64_t v) {
  if (v >= (int64_t{1} << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return static_cast<uint8_t>(v >> kPrecisionBits);
}

}  // namespace

Image resize_bilinear(const Image& image, int64_t height, int64_t width) {
  DTI_CHECK(height > 0 && width > 0, "resize_bilinear: target size ", height, "x", width);
  DTI_CHECK(image.height > 0 && image.width > 0, "resize_bilinear: empty image");
  if (image.height == height && image.width == width) return image;
  const int64_t c = image.channels;
  // Pillow resamples horizontally first (rows the vertical pass needs), then vertically, rounding
  // to 8 bits in between; doing the same gives its pixels exactly.
  Image wide = image;
  if (width != image.width) {
    const Taps taps = bilinear_taps(image.width, width);
    wide.width = width;
    wide.pixels.assign(static_cast<size_t>(image.height * width * c), 0);
    for (int64_t y = 0; y < image.height; ++y) {
      for (int64_t x = 0; x < width; ++x) {
        const int32_t* k = &taps.weights[static_cast<size_t>(x * taps.taps_max)];
        const int64_t first = taps.first[static_cast<size_t>(x)];
        for (int64_t ch = 0; ch < c; ++ch) {
          int64_t sum = int64_t{1} << (kPrecisionBits - 1);
          for (int64_t t = 0; t < taps.count[static_cast<size_t>(x)]; ++t) {
            sum += int64_t{image.at(y, first + t, ch)} * k[t];
          }
          wide.pixels[static_cast<size_t>((y * width + x) * c + ch)] = clip8(sum);
        }
      }
    }
  }
  if (height == image.height) return wide;
  const Taps taps = bilinear_taps(image.height, height);
  Image out;
  out.height = height;
  out.width = width;
  out.channels = c;
  out.pixels.assign(static_cast<size_t>(height * width * c), 0);
  for (int64_t y = 0; y < height; ++y) {
    const int32_t* k = &taps.weights[static_cast<size_t>(y * taps.taps_max)];
    const int64_t first = taps.first[static_cast<size_t>(y)];
    for (int64_t x = 0; x < width; ++x) {
      for (int64_t ch = 0; ch < c; ++ch) {
        int64_t sum = int64_t{1} << (kPrecisionBits - 1);
        for (int64_t t = 0; t < taps.count[static_cast<size_t>(y)]; ++t) {
          sum += int64_t{wide.at(first + t, x, ch)} * k[t];
        }
        out.pixels[static_cast<size_t>((y * width + x) * c + ch)] = clip8(sum);
      }
    }
  }
  return out;
}

Image resize_nearest(const Image& image, int64_t height, int64_t width) {
  DTI_CHECK(height > 0 && width > 0, "resize_nearest: target size ", height, "x", width);
  DTI_CHECK(image.height > 0 && image.width > 0, "resize_nearest: empty image");
  Image out;
  out.height = height;
  out.width = width;
  out.channels = image.channels;
  out.pixels.resize(static_cast<size_t>(height * width * image.channels));
  std::vector<int64_t> columns(static_cast<size_t>(width));
  for (int64_t x = 0; x < width; ++x) {
    columns[static_cast<size_t>(x)] =
        std::min(image.width - 1, (2 * x + 1) * image.width / (2 * width));
  }
  for (int64_t y = 0; y < height; ++y) {
    const int64_t sy = std::min(image.height - 1, (2 * y + 1) * image.height / (2 * height));
    for (int64_t x = 0; x < width; ++x) {
      const int64_t sx = columns[static_cast<size_t>(x)];
      for (int64_t c = 0; c < image.channels; ++c) {
        out.pixels[static_cast<size_t>((y * width + x) * image.channels + c)] = image.at(sy, sx, c);
      }
    }
  }
  return out;
}

Image crop(const Image& image, int64_t top, int64_t left, int64_t height, int64_t width) {
  DTI_CHECK(top >= 0 && left >= 0 && height > 0 && width > 0 && top + height <= image.height &&
                left + width <= image.width,
            "crop rows ", top, "..", top + height - 1, ", columns ", left, "..", left + width - 1,
            " outside a ", image.height, "x", image.width, " image");
  Image out;
  out.height = height;
  out.width = width;
  out.channels = image.channels;
  out.pixels.reserve(static_cast<size_t>(height * width * image.channels));
  for (int64_t y = top; y < top + height; ++y) {
    const auto* row = image.pixels.data() + (y * image.width + left) * image.channels;
    out.pixels.insert(out.pixels.end(), row, row + width * image.channels);
  }
  return out;
}

void write_png(const std::string& path, const Image& image) {
  const std::string temp = path + ".partial-" + std::to_string(::getpid()) + ".png";
  const int ok =
      stbi_write_png(temp.c_str(), static_cast<int>(image.width), static_cast<int>(image.height),
                     static_cast<int>(image.channels), image.pixels.data(),
                     static_cast<int>(image.width * image.channels));
  if (ok == 0) {
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw Error(detail::concat("cannot write PNG '", path, "'"));
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  DTI_CHECK(!error, "cannot rename '", temp, "' to '", path, "': ", error.message());
}

}  // namespace dti::datasets
