// Resizing matches Pillow (the authors' loaders resize PIL images through torchvision).

#include <algorithm>
#include <filesystem>

#include "base/error.h"
#include "datasets/image_io.h"
#include "tests/datasets/test_util.h"
#include "tests/support/expect_error.h"

namespace dti::datasets {
namespace {

using test::fixture;

TEST(ImageIoTest, BilinearIsPillowBitExact) {
  // tests/fixtures/datasets/pillow/make.py made these with Pillow 9.4.0.
  std::vector<std::string> ppm;
  for (const auto& dir :
       std::filesystem::directory_iterator(fixture("gtsrb/Final_Training/Images"))) {
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
      if (f.path().extension() == ".ppm") ppm.push_back(f.path().string());
    }
  }
  std::sort(ppm.begin(), ppm.end());
  ASSERT_EQ(ppm.size(), 8u);
  for (size_t i = 0; i < ppm.size(); ++i) {
    const Image ours = resize_bilinear(load_image(ppm[i], 3), 28, 28);
    const Image pillow = load_image(fixture("pillow/gtsrb_" + std::to_string(i) + ".png"), 3);
    EXPECT_EQ(ours.pixels, pillow.pixels) << ppm[i];
  }
  const Image clevr = load_image(fixture("clevr/CLEVR_image_0.png"), 3);
  EXPECT_EQ(resize_bilinear(crop(clevr, 29, 64, 192, 192), 128, 128).pixels,
            load_image(fixture("pillow/clevr_crop_128.png"), 3).pixels);
}

TEST(ImageIoTest, NearestIsPillowNearest) {
  for (const char* horse : {"horse003", "horse006", "horse009"}) {
    Image mask =
        load_image(fixture(std::string("weizmann_horse/figure_ground/") + horse + ".jpg"), 1);
    for (auto& v : mask.pixels) v = v >= 128 ? 1 : 0;
    EXPECT_EQ(resize_nearest(mask, 128, 128).pixels,
              load_image(fixture(std::string("pillow/nearest_") + horse + ".png"), 1).pixels)
        << horse;
  }
}

TEST(ImageIoTest, CropAndErrors) {
  Image image;
  image.height = 3;
  image.width = 4;
  image.channels = 1;
  for (uint8_t v = 0; v < 12; ++v) image.pixels.push_back(v);
  EXPECT_EQ(crop(image, 1, 2, 2, 2).pixels, (std::vector<uint8_t>{6, 7, 10, 11}));
  EXPECT_THROW(crop(image, 2, 0, 2, 2), Error);
  EXPECT_ERROR_CONTAINS(load_image(fixture("tetrominoes/tetrominoes_mini.tfrecords"), 3),
                        "cannot decode image");
}

}  // namespace
}  // namespace dti::datasets
