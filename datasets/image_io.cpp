#include "datasets/image_io.h"

#include <stb_image.h>
#include <stb_image_write.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "base/error.h"

namespace dti::datasets {

Image load_image(const std::string& path, int channels) {
  DTI_CHECK(channels == 1 || channels == 3, "load_image: channels must be 1 or 3, got ", channels);
  DTI_CHECK(std::filesystem::exists(path), "image file '", path, "' does not exist");
  int w = 0, h = 0, file_channels = 0;
  stbi_uc* data = stbi_load(path.c_str(), &w, &h, &file_channels, channels);
  DTI_CHECK(data != nullptr, "cannot decode image '", path,
            "' (stb_image: ", stbi_failure_reason() ? stbi_failure_reason() : "unknown reason",
            "): is it a complete PNG, JPEG, PPM, BMP, TGA or GIF file?");
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
