#include "reports/image.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/reports/temp_dir.h"
#include "tests/support/expect_error.h"

namespace dti::reports {
namespace {

using dti::test::error_contains;

TEST(Image, PngRoundTripKeepsShapeAndEightBitValues) {
  test::TempDir dir;
  for (int channels : {1, 2, 3, 4}) {
    Image image = Image::zeros(5, 7, channels);
    for (size_t i = 0; i < image.data.size(); ++i) image.data[i] = float(i % 256) / 255.0f;
    image.data[0] = 1.7f;   // clamped to 1
    image.data[1] = -0.2f;  // clamped to 0
    const std::string path = dir.file("nested/c" + std::to_string(channels) + ".png");
    write_png(path, image);
    const Image back = read_png(path);
    ASSERT_EQ(back.height, 5);
    ASSERT_EQ(back.width, 7);
    ASSERT_EQ(back.channels, channels);
    EXPECT_FLOAT_EQ(back.data[0], 1.0f);
    EXPECT_FLOAT_EQ(back.data[1], 0.0f);
    for (size_t i = 2; i < image.data.size(); ++i) ASSERT_NEAR(back.data[i], image.data[i], 1e-6);
  }
  // Written through a temporary name: nothing else is left in the folder.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("nested"))) {
    EXPECT_EQ(entry.path().extension(), ".png");
    ++files;
  }
  EXPECT_EQ(files, 4u);
}

TEST(Image, BadInputIsExplained) {
  test::TempDir dir;
  Image wrong = Image::zeros(4, 4, 3);
  wrong.data.pop_back();
  EXPECT_ERROR_CONTAINS(write_png(dir.file("x.png"), wrong),
                        "data expected [H=4,W=4,C=3] = 48 values, got 47");
  EXPECT_ERROR_CONTAINS(write_png(dir.file("x.png"), Image::zeros(2, 2, 5)), "got 5");
  std::ofstream(dir.file("text.png")) << "not a png";
  EXPECT_ERROR_CONTAINS(read_png(dir.file("text.png")), "read_png");
  EXPECT_ERROR_CONTAINS(compose_checkerboard(Image::zeros(2, 2, 3)),
                        "expected an image with alpha");
}

TEST(Image, CheckerboardShowsThroughTransparency) {
  Image rgba = Image::zeros(8, 8, 4);
  rgba.at(0, 0, 0) = 1.0f;
  rgba.at(0, 0, 3) = 1.0f;  // opaque red
  rgba.at(0, 1, 1) = 1.0f;
  rgba.at(0, 1, 3) = 0.5f;  // half-transparent green over the light square
  const Image out = compose_checkerboard(rgba, 4);
  ASSERT_EQ(out.channels, 3);
  EXPECT_FLOAT_EQ(out.at(0, 0, 0), 1.0f);
  EXPECT_FLOAT_EQ(out.at(0, 0, 1), 0.0f);
  EXPECT_FLOAT_EQ(out.at(0, 1, 1), 0.5f + 0.5f * 0.8f);
  EXPECT_FLOAT_EQ(out.at(0, 1, 0), 0.5f * 0.8f);
  EXPECT_FLOAT_EQ(out.at(0, 5, 0), 0.6f);  // transparent, dark square
  EXPECT_FLOAT_EQ(out.at(5, 5, 0), 0.8f);  // diagonal square is light again
}

TEST(Image, LabelsGetDistinctColoursAndBackgroundIsDark) {
  const Image out = colorize_labels({0, 1, 2, 21}, 2, 2);
  EXPECT_FLOAT_EQ(out.at(0, 0, 0), 0.15f);
  EXPECT_FLOAT_EQ(out.at(0, 1, 0), 31 / 255.0f);      // palette colour 1
  EXPECT_FLOAT_EQ(out.at(1, 0, 0), 1.0f);             // palette colour 2 (255, 127, 14)
  EXPECT_FLOAT_EQ(out.at(1, 1, 0), out.at(0, 1, 0));  // 21 cycles back to colour 1
  EXPECT_TRUE(error_contains([] { colorize_labels({0, 1, 2}, 2, 2); }, "got 3"));
}

TEST(Image, TilesAreLaidOutOnAGrid) {
  std::vector<Image> images;
  for (int i = 0; i < 3; ++i) {
    Image image = Image::zeros(2, 3, 1);
    for (float& v : image.data) v = 0.1f * (i + 1);
    images.push_back(image);
  }
  const Image grid = tile_images(images, 2, 1, 1.0f);
  EXPECT_EQ(grid.height, 2 * 2 + 3);
  EXPECT_EQ(grid.width, 2 * 3 + 3);
  EXPECT_FLOAT_EQ(grid.at(0, 0, 0), 1.0f);  // padding
  EXPECT_FLOAT_EQ(grid.at(1, 1, 0), 0.1f);  // first image
  EXPECT_FLOAT_EQ(grid.at(1, 5, 0), 0.2f);  // second, right of the first
  EXPECT_FLOAT_EQ(grid.at(4, 1, 0), 0.3f);  // third, next row
  EXPECT_FLOAT_EQ(grid.at(4, 5, 0), 1.0f);  // empty slot
}

}  // namespace
}  // namespace dti::reports
