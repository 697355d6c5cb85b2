// Resizing matches Pillow (the authors' loaders resize PIL images through torchvision).

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

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

// Bytes written to a scratch file named `name` (the extension does not steer stb: it sniffs).
std::string scratch_image(const std::string& name, const std::string& bytes) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dti_image_io_" + std::to_string(::getpid()) + "_" + name))
                               .string();
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

// Inputs found by tests/fuzz/image_csv_fuzzer.cpp (seeds regress_* in its corpus).
TEST(ImageIoTest, PpmWithoutRowsIsRefused) {
  // stb reads the height field "(" as 0 rows and returned an empty image, which resize_nearest
  // then indexed out of bounds.
  const std::string path = scratch_image("rows.ppm", std::string("P6\n2 (\x19\x1e(\x14", 10));
  EXPECT_TRUE(dti::test::error_contains([&] { load_image(path, 3); }, "rows.ppm"));
  std::filesystem::remove(path);
  EXPECT_TRUE(dti::test::error_contains([&] { resize_nearest(Image{}, 2, 2); }, "empty image"));
}

TEST(ImageIoTest, JpegHuffmanTableOverflowIsRefusedBeforeStb) {
  // A DHT segment whose 16 code counts add up to 300: Debian's stb writes past its 256-entry
  // tables (heap overflow) on this.
  std::string jpeg("\xFF\xD8\xFF\xC4", 4);
  const size_t length = 2 + 17 + 300;
  jpeg += static_cast<char>(length >> 8);
  jpeg += static_cast<char>(length & 0xFF);
  jpeg += '\x00';  // DC table 0
  for (int i = 0; i < 16; ++i) jpeg += static_cast<char>(i < 15 ? 20 : 0);
  jpeg += std::string(300, '\x01') + "\xFF\xD9";
  const std::string path = scratch_image("dht.jpg", jpeg);
  EXPECT_TRUE(dti::test::error_contains([&] { load_image(path, 3); },
                                        "damaged JPEG (a Huffman table (DHT) with 300 codes"));
  std::filesystem::remove(path);
  // stb goes on reading tables while the segment's length is not used up, across its end: one
  // valid table of 11 codes, then a length 1 byte too long, then 300 codes in the next bytes.
  std::string across("\xFF\xD8\xFF\xC4\x00\x1F\x00", 7);
  for (int i = 0; i < 16; ++i) across += static_cast<char>(i < 11 ? 1 : 0);
  across += std::string(11, '\x02') + '\x01';
  for (int i = 0; i < 16; ++i) across += static_cast<char>(i < 15 ? 20 : 0);
  across += std::string(300, '\x01') + "\xFF\xD9";
  const std::string path2 = scratch_image("dht_across.jpg", across);
  EXPECT_TRUE(dti::test::error_contains([&] { load_image(path2, 3); }, "with 300 codes"));
  std::filesystem::remove(path2);
  // stb skips 0xFF fill bytes before the SOI marker too (found by fuzzing): FF FF FF D8 ….
  const std::string path3 = scratch_image("dht_fill.jpg", std::string(3, '\xFF') + jpeg.substr(1));
  EXPECT_TRUE(dti::test::error_contains([&] { load_image(path3, 3); }, "with 300 codes"));
  std::filesystem::remove(path3);
  // A table cut off by the end of the file: stb reads zeros past it and still builds the table
  // from the counts that are there (found by fuzzing): 8 counts adding up to 349, then the end.
  const std::string cut("\xFF\xD8\xFF\xC4\x00\xB5\x10\x00\x02\x01\x03\x64\x78\x78\x03", 15);
  const std::string path4 = scratch_image("dht_cut.jpg", cut);
  EXPECT_TRUE(dti::test::error_contains([&] { load_image(path4, 3); }, "with 349 codes"));
  std::filesystem::remove(path4);
}

TEST(ImageIoTest, HeaderClaimingHugeImageIsRefusedBeforeDecoding) {
  const std::string path = scratch_image("huge.ppm", "P6\n20000 20000\n255\nabc");
  EXPECT_TRUE(dti::test::error_contains([&] { load_image(path, 3); }, "claims 20000x20000 pixels"));
  std::filesystem::remove(path);
}

TEST(ImageIoTest, SixteenBitPnmIsRefusedBeforeStb) {
  // Debian's stb 2.27 reads 16-bit PNM samples little-endian and, converting channels, overflows
  // its buffer (found by fuzzing). A 16-bit PPM loaded as grey and a PGM as RGB: both refused.
  const std::string rgb = scratch_image(
      "rgb16.ppm",
      std::string("P6\n2 1\n65535\n\x10\x00\x20\x00\x30\x00\xFF\xFF\x00\x00\x80\x00", 25));
  const std::string grey = scratch_image("grey16.pgm", std::string("P5\n1 1\n300\n\x01\x00", 13));
  for (const auto& [path, channels] : {std::pair{rgb, 1}, std::pair{rgb, 3}, std::pair{grey, 3}}) {
    EXPECT_TRUE(dti::test::error_contains([&] { load_image(path, channels); },
                                          "is a 16-bit PGM/PPM (maxval over 255)"))
        << path << " as " << channels;
  }
  std::filesystem::remove(rgb);
  std::filesystem::remove(grey);
}

}  // namespace
}  // namespace dti::datasets
