#include "reports/image.h"

#include <stb_image.h>
#include <stb_image_write.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "base/error.h"
#include "reports/atomic_file.h"

namespace dti::reports {
namespace {

uint8_t to_byte(float value) {
  return static_cast<uint8_t>(std::lround(std::clamp(value, 0.0f, 1.0f) * 255.0f));
}

void append_bytes(void* context, void* data, int size) {
  static_cast<std::string*>(context)->append(static_cast<const char*>(data), size_t(size));
}

// A 20-colour qualitative palette (Tableau 20), so neighbouring labels stay distinguishable.
constexpr std::array<std::array<uint8_t, 3>, 20> kPalette = {{
    {31, 119, 180},  {255, 127, 14},  {44, 160, 44},   {214, 39, 40},   {148, 103, 189},
    {140, 86, 75},   {227, 119, 194}, {188, 189, 34},  {23, 190, 207},  {174, 199, 232},
    {255, 187, 120}, {152, 223, 138}, {255, 152, 150}, {197, 176, 213}, {196, 156, 148},
    {247, 182, 210}, {219, 219, 141}, {158, 218, 229}, {127, 127, 127}, {199, 199, 199},
}};

}  // namespace

Image Image::zeros(int height, int width, int channels) {
  Image image{height, width, channels, {}};
  image.data.assign(size_t(height) * size_t(width) * size_t(channels), 0.0f);
  return image;
}

void Image::validate(const std::string& what) const {
  DTI_CHECK(height > 0 && width > 0, what, ": image size expected positive, got ", height, "x",
            width);
  DTI_CHECK(channels >= 1 && channels <= 4, what,
            ": channels expected 1 (grey), 2 (grey+alpha), "
            "3 (RGB) or 4 (RGBA), got ",
            channels);
  const size_t expected = size_t(height) * size_t(width) * size_t(channels);
  DTI_CHECK(data.size() == expected, what, ": data expected [H=", height, ",W=", width,
            ",C=", channels, "] = ", expected, " values, got ", data.size());
  for (size_t i = 0; i < data.size(); ++i)
    DTI_CHECK(!std::isnan(data[i]), what, ": value ", i, " is NaN");
}

std::string encode_png(const Image& image, const std::string& what) {
  image.validate(what);
  std::vector<uint8_t> bytes(image.data.size());
  std::transform(image.data.begin(), image.data.end(), bytes.begin(), to_byte);
  std::string png;
  const int ok = stbi_write_png_to_func(append_bytes, &png, image.width, image.height,
                                        image.channels, bytes.data(), image.width * image.channels);
  DTI_CHECK(ok != 0 && !png.empty(), what, ": PNG encoding failed");
  return png;
}

void write_png(const std::string& path, const Image& image) {
  write_file_atomically(path, encode_png(image, "write_png '" + path + "'"));
}

Image read_png(const std::string& path) {
  int width = 0, height = 0, channels = 0;
  stbi_uc* pixels = stbi_load(path.c_str(), &width, &height, &channels, 0);
  DTI_CHECK(pixels != nullptr, "read_png '", path, "': ", stbi_failure_reason(),
            " (expected a readable PNG file)");
  Image image = Image::zeros(height, width, channels);
  for (size_t i = 0; i < image.data.size(); ++i) image.data[i] = pixels[i] / 255.0f;
  stbi_image_free(pixels);
  return image;
}

Image compose_checkerboard(const Image& rgba, int cell) {
  rgba.validate("compose_checkerboard");
  DTI_CHECK(rgba.channels == 4 || rgba.channels == 2,
            "compose_checkerboard: expected an image with alpha (2 or 4 channels), got ",
            rgba.channels, " channels");
  DTI_CHECK(cell > 0, "compose_checkerboard: cell expected > 0, got ", cell);
  Image out = Image::zeros(rgba.height, rgba.width, 3);
  const int colour_channels = rgba.channels - 1;
  for (int y = 0; y < rgba.height; ++y) {
    for (int x = 0; x < rgba.width; ++x) {
      const float checker = ((y / cell + x / cell) % 2 == 0) ? 0.8f : 0.6f;
      const float alpha = std::clamp(rgba.at(y, x, rgba.channels - 1), 0.0f, 1.0f);
      for (int c = 0; c < 3; ++c) {
        const float colour = rgba.at(y, x, colour_channels == 1 ? 0 : c);
        out.at(y, x, c) = alpha * colour + (1.0f - alpha) * checker;
      }
    }
  }
  return out;
}

Image colorize_labels(const std::vector<int32_t>& labels, int height, int width) {
  DTI_CHECK(height > 0 && width > 0 && labels.size() == size_t(height) * size_t(width),
            "colorize_labels: labels expected [H=", height, ",W=", width,
            "] = ", size_t(std::max(height, 0)) * size_t(std::max(width, 0)), " values, got ",
            labels.size());
  Image out = Image::zeros(height, width, 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const int32_t label = labels[size_t(y) * width + x];
      for (int c = 0; c < 3; ++c) {
        float value = 0.0f;
        if (label == 0)
          value = 0.15f;
        else if (label > 0)
          value = kPalette[size_t(label - 1) % kPalette.size()][c] / 255.0f;
        out.at(y, x, c) = value;
      }
    }
  }
  return out;
}

Image tile_images(const std::vector<Image>& images, int columns, int padding, float fill) {
  DTI_CHECK(!images.empty(), "tile_images: expected at least one image");
  DTI_CHECK(columns > 0 && padding >= 0, "tile_images: columns expected > 0 and padding >= 0, got ",
            columns, " and ", padding);
  int cell_height = 0, cell_width = 0;
  for (const Image& image : images) {
    image.validate("tile_images");
    DTI_CHECK(image.channels == images.front().channels, "tile_images: every image expected ",
              images.front().channels, " channels, got ", image.channels);
    cell_height = std::max(cell_height, image.height);
    cell_width = std::max(cell_width, image.width);
  }
  const int count = static_cast<int>(images.size());
  const int used_columns = std::min(columns, count);
  const int rows = (count + columns - 1) / columns;
  Image out = Image::zeros(rows * cell_height + (rows + 1) * padding,
                           used_columns * cell_width + (used_columns + 1) * padding,
                           images.front().channels);
  std::fill(out.data.begin(), out.data.end(), fill);
  for (int i = 0; i < count; ++i) {
    const Image& image = images[size_t(i)];
    const int top = padding + (i / columns) * (cell_height + padding);
    const int left = padding + (i % columns) * (cell_width + padding);
    for (int y = 0; y < image.height; ++y)
      for (int x = 0; x < image.width; ++x)
        for (int c = 0; c < image.channels; ++c) out.at(top + y, left + x, c) = image.at(y, x, c);
  }
  return out;
}

}  // namespace dti::reports
