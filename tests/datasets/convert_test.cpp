// Converters, proven on the real samples (tests/fixtures/datasets) and on files written here in
// the original formats (TFRecords with our writer, SVHN .mat with matio).

#include <matio.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "datasets/catalogue.h"
#include "datasets/dataset_file.h"
#include "datasets/image_io.h"
#include "datasets/subsets.h"
#include "datasets/tetrominoes.h"
#include "datasets/tf_example.h"
#include "datasets/tfrecord.h"
#include "tests/datasets/test_util.h"
#include "tests/support/expect_error.h"

namespace dti::datasets {
namespace {

namespace fs = std::filesystem;
using test::fixture;

using test::ConvertTest;

TEST_F(ConvertTest, RealTetrominoesRecordsGiveExactlyTheDecodedPixelsAndMasks) {
  const auto summary =
      convert_tetrominoes(options({fixture("tetrominoes/tetrominoes_mini.tfrecords")}, "tetro.h5"));
  EXPECT_EQ(summary.read, 10);
  EXPECT_EQ(summary.written, 10);
  ASSERT_EQ(summary.notes.size(), 1u);  // fewer records than the default 60,000
  EXPECT_CONTAINS(summary.notes[0], "holds only 10 records (60,000 requested)");
  DatasetReader reader(path("tetro.h5"), "tetrominoes");
  ASSERT_EQ(reader.size(), 10);
  EXPECT_EQ(reader.info().num_classes, 19);
  EXPECT_EQ(reader.info().max_objects, 3);
  EXPECT_CONTAINS(
      reader.info().provenance,
      "\"sha256\":\"d0583e6a9e8d0f8bcc0241e759672f8e31623bd4977a55e981bd9e536ffc3722\"");
  const std::string ref = fixture("tetrominoes/decoded_ref_layout/");
  for (int i = 0; i < 10; ++i) {
    const Sample s = reader.read(i);
    const std::string name = std::to_string(i) + ".png";
    EXPECT_EQ(s.image, load_image(ref + "images/" + name, 3).pixels) << "image " << i;
    EXPECT_EQ(s.instance_mask, load_image(ref + "masks/" + name, 1).pixels) << "mask " << i;
    EXPECT_EQ(s.semantic_mask, load_image(ref + "sem_masks/" + name, 1).pixels) << "sem " << i;
  }
  convert_tetrominoes([&] {
    auto o = options({fixture("tetrominoes/tetrominoes_mini.tfrecords")}, "four.h5");
    o.limit = 4;
    return o;
  }());
  EXPECT_EQ(DatasetReader(path("four.h5")).size(), 4);
}

// Our generator's scenes written in DeepMind's record layout convert back to the same samples.
TEST_F(ConvertTest, GeneratedScenesRoundTripThroughDeepMindRecords) {
  constexpr int64_t kRecords = 300;
  {
    TfRecordWriter writer(path("synthetic.tfrecords"), true);
    for (int64_t i = 0; i < kRecords; ++i) {
      const auto pieces = sample_tetrominoes_scene(9, i);
      const Sample s = render_tetrominoes(pieces);
      std::vector<uint8_t> mask(4 * 35 * 35, 0);
      for (size_t p = 0; p < 35 * 35; ++p) mask[s.instance_mask[p] * 35 * 35 + p] = 255;
      std::vector<float> shape{0}, top{0}, left{0};
      for (const auto& piece : pieces) {
        shape.push_back(static_cast<float>(piece.shape));
        top.push_back(static_cast<float>(piece.top));
        left.push_back(static_cast<float>(piece.left));
      }
      ExampleBuilder b;
      b.add_bytes_per_element("image", s.image);
      b.add_bytes_per_element("mask", mask);
      b.add_floats("visibility", {1, 1, 1, 1});
      b.add_floats("shape", shape);
      b.add_floats("x", top);
      b.add_floats("y", left);
      b.add_floats("color", std::vector<float>(12, 0));
      writer.write(b.serialize());
    }
  }
  auto o = options({path("synthetic.tfrecords")}, "synthetic.h5");
  o.limit = kRecords;
  EXPECT_TRUE(convert_tetrominoes(o).notes.empty());
  DatasetReader reader(path("synthetic.h5"));
  ASSERT_EQ(reader.size(), kRecords);
  for (int64_t i = 0; i < kRecords; ++i) {
    const Sample expected = render_tetrominoes(sample_tetrominoes_scene(9, i));
    const Sample got = reader.read(i);
    ASSERT_EQ(got.image, expected.image) << i;
    ASSERT_EQ(got.instance_mask, expected.instance_mask) << i;
    ASSERT_EQ(got.semantic_mask, expected.semantic_mask) << i;
  }
}

TEST_F(ConvertTest, TfRecordConverterRejectsOtherFiles) {
  EXPECT_TRUE(dti::test::error_contains(
      [&] { convert_clevr6(options({fixture("tetrominoes/tetrominoes_mini.tfrecords")}, "c.h5")); },
      "record 0: feature 'visibility' has 4 floats, expected 11; is this the right kind of "
      "TFRecord file?"));
  EXPECT_TRUE(dti::test::error_contains(
      [&] { convert_tetrominoes(options({path("none.tfrecords")}, "t.h5")); }, "does not exist"));
  EXPECT_TRUE(files().empty()) << "a failed conversion leaves nothing";
}

// Multi-dSprites stores its masks [H,W,entity]: entity k (1..3) covers a 10x10 block at (10k,5k).
TEST_F(ConvertTest, MultiDspritesMasksAreReadEntityLast) {
  {
    TfRecordWriter writer(path("md.tfrecords"), true);
    for (int r = 0; r < 3; ++r) {
      std::vector<uint8_t> image(64 * 64 * 3, static_cast<uint8_t>(40 + r));
      std::vector<uint8_t> mask(64 * 64 * 6, 0);
      for (int p = 0; p < 64 * 64; ++p) mask[p * 6] = 255;  // background entity
      for (int k = 1; k <= 3; ++k) {
        for (int y = 10 * k; y < 10 * k + 10; ++y) {
          for (int x = 5 * k; x < 5 * k + 10; ++x) {
            const int p = y * 64 + x;
            for (int e = 0; e < 6; ++e) mask[p * 6 + e] = e == k ? 255 : 0;  // later in front
          }
        }
      }
      ExampleBuilder b;
      b.add_bytes_per_element("image", image);
      b.add_bytes_per_element("mask", mask);
      b.add_floats("visibility", {1, 1, 1, 1, 0, 0});
      b.add_floats("shape", {0, 3, 1, 2, 0, 0});
      for (const char* f : {"x", "y", "orientation", "scale"})
        b.add_floats(f, std::vector<float>(6, 0));
      b.add_floats("color", std::vector<float>(18, 0));
      writer.write(b.serialize());
    }
  }
  const auto summary = convert_multi_dsprites(options({path("md.tfrecords")}, "md.h5"));
  EXPECT_EQ(summary.written, 3);
  DatasetReader reader(path("md.h5"), "multi_dsprites");
  EXPECT_EQ(reader.info().num_classes, 3);
  EXPECT_EQ(reader.info().max_objects, 5);
  const Sample s = reader.read(2);
  EXPECT_EQ(s.image[0], 42);
  const auto at = [&](const std::vector<uint8_t>& m, int y, int x) {
    return int{m[static_cast<size_t>(y * 64 + x)]};
  };
  EXPECT_EQ(at(s.instance_mask, 0, 0), 0);
  EXPECT_EQ(at(s.instance_mask, 12, 7), 1);
  EXPECT_EQ(at(s.semantic_mask, 12, 7), 3);  // heart
  EXPECT_EQ(at(s.instance_mask, 25, 12), 2);
  EXPECT_EQ(at(s.semantic_mask, 25, 12), 1);  // square
  EXPECT_EQ(at(s.instance_mask, 35, 24), 3);
  EXPECT_EQ(at(s.semantic_mask, 35, 24), 2);  // ellipse
  EXPECT_EQ(std::count(s.instance_mask.begin(), s.instance_mask.end(), 3), 100);
}

// CLEVR-with-masks records built from the real CLEVR sample (320x240, 7 objects).
class ClevrTest : public ConvertTest {
 protected:
  static constexpr int kEntities = 11;
  // Writes one record; objects beyond `objects` are folded into the background.
  void add_record(TfRecordWriter& writer, int objects) {
    const Image image = load_image(fixture("clevr/CLEVR_image_0.png"), 3);
    std::vector<uint8_t> masks(static_cast<size_t>(kEntities) * 240 * 320, 0);
    std::vector<float> visibility(kEntities, 0);
    for (int e = 0; e < kEntities; ++e) {
      const Image m = load_image(fixture("clevr/CLEVR_mask_0_" + std::to_string(e) + ".png"), 1);
      const int target = e <= objects ? e : 0;
      for (size_t p = 0; p < m.pixels.size(); ++p) {
        if (m.pixels[p] > 127) masks[static_cast<size_t>(target) * 76800 + p] = 255;
      }
      if (e <= objects && e <= 7) visibility[static_cast<size_t>(e)] = 1;
    }
    ExampleBuilder b;
    b.add_bytes_per_element("image", image.pixels);
    b.add_bytes_per_element("mask", masks);
    b.add_floats("visibility", visibility);
    b.add_bytes_per_element("shape", {0, 1, 2, 3, 1, 2, 3, 1, 0, 0, 0});
    b.add_bytes_per_element("material", {0, 1, 2, 1, 2, 1, 2, 2, 0, 0, 0});
    b.add_bytes_per_element("size", std::vector<uint8_t>(kEntities, 1));
    b.add_bytes_per_element("color", std::vector<uint8_t>(kEntities, 1));
    for (const char* f : {"x", "y", "z", "rotation"})
      b.add_floats(f, std::vector<float>(kEntities, 0));
    b.add_floats("pixel_coords", std::vector<float>(kEntities * 3, 0));
    writer.write(b.serialize());
  }
};

TEST_F(ClevrTest, KeepsScenesWithAtMostSixObjectsCroppedAndResized) {
  {
    TfRecordWriter writer(path("clevr.tfrecords"), true);
    add_record(writer, 7);  // the real scene: 7 objects, left out
    add_record(writer, 6);  // object 7 folded into the background: kept
    add_record(writer, 2);  // kept
    add_record(writer, 3);  // beyond --limit 3
  }
  auto o = options({path("clevr.tfrecords")}, "clevr6.h5");
  o.limit = 3;
  const auto summary = convert_clevr6(o);
  EXPECT_EQ(summary.read, 3);
  EXPECT_EQ(summary.written, 2);
  EXPECT_EQ(summary.skipped, 1);
  DatasetReader reader(path("clevr6.h5"), "clevr6");
  ASSERT_EQ(reader.size(), 2);
  EXPECT_EQ(reader.info().height, 128);
  EXPECT_EQ(reader.info().num_classes, 6);
  EXPECT_EQ(reader.info().max_objects, 6);
  const Sample s = reader.read(0);
  // Masks: nearest neighbour on pixel centres of rows 29..220 and columns 64..255.
  std::vector<Image> entity_masks;
  for (int e = 0; e < kEntities; ++e) {
    entity_masks.push_back(
        load_image(fixture("clevr/CLEVR_mask_0_" + std::to_string(e) + ".png"), 1));
  }
  const int semantic_of_entity[7] = {0, 1, 4, 5, 2, 3, 6};  // 2 * (shape - 1) + material
  int mismatches = 0;
  for (int y = 0; y < 128; ++y) {
    for (int x = 0; x < 128; ++x) {
      const int sy = 29 + (2 * y + 1) * 192 / 256, sx = 64 + (2 * x + 1) * 192 / 256;
      int entity = 0;
      for (int e = 1; e <= 6; ++e) {
        if (entity_masks[static_cast<size_t>(e)].at(sy, sx) > 127) entity = e;
      }
      mismatches += s.instance_mask[static_cast<size_t>(y * 128 + x)] != entity;
      mismatches += s.semantic_mask[static_cast<size_t>(y * 128 + x)] != semantic_of_entity[entity];
    }
  }
  EXPECT_EQ(mismatches, 0);
  const Image source = load_image(fixture("clevr/CLEVR_image_0.png"), 3);
  EXPECT_EQ(s.image, resize_bilinear(crop(source, 29, 64, 192, 192), 128, 128).pixels);
  // The bilinear image is the crop (not the whole frame): compare its mean with both.
  const auto mean = [](const std::vector<uint8_t>& v) {
    double total = 0;
    for (uint8_t x : v) total += x;
    return total / static_cast<double>(v.size());
  };
  EXPECT_NEAR(mean(s.image), mean(crop(source, 29, 64, 192, 192).pixels), 0.5);
  const Sample two = reader.read(1);
  EXPECT_EQ(*std::max_element(two.instance_mask.begin(), two.instance_mask.end()), 2);
}

// SVHN .mat written by matio: X uint8 [32,32,3,N] column-major, y [N,1] with 10 meaning 0.
void write_svhn_mat(const std::string& file, size_t n, int seed, bool compress,
                    const std::vector<double>& labels) {
  mat_t* mat = Mat_CreateVer(file.c_str(), nullptr, MAT_FT_MAT5);
  ASSERT_NE(mat, nullptr);
  std::vector<uint8_t> x(32 * 32 * 3 * n);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = static_cast<uint8_t>((i * 31 + static_cast<size_t>(seed)) % 251);
  size_t x_dims[4] = {32, 32, 3, n};
  matvar_t* xv = Mat_VarCreate("X", MAT_C_UINT8, MAT_T_UINT8, 4, x_dims, x.data(), 0);
  Mat_VarWrite(mat, xv, compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE);
  Mat_VarFree(xv);
  std::vector<double> y = labels;
  size_t y_dims[2] = {n, 1};
  matvar_t* yv = Mat_VarCreate("y", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, y_dims, y.data(), 0);
  Mat_VarWrite(mat, yv, compress ? MAT_COMPRESSION_ZLIB : MAT_COMPRESSION_NONE);
  Mat_VarFree(yv);
  Mat_Close(mat);
}

TEST_F(ConvertTest, SvhnMatRoundTripsWithLabelTenAsZero) {
  write_svhn_mat(path("test_32x32.mat"), 3, 1, false, {10, 1, 2});
  write_svhn_mat(path("train_32x32.mat"), 4, 2, true, {3, 10, 9, 4});
  write_svhn_mat(path("extra_32x32.mat"), 2, 3, true, {5, 6});
  const auto summary = convert_svhn(options(
      {path("test_32x32.mat"), path("train_32x32.mat"), path("extra_32x32.mat")}, "svhn.h5"));
  EXPECT_EQ(summary.written, 9);
  DatasetReader reader(path("svhn.h5"), "svhn");
  EXPECT_EQ(reader.labels(), (std::vector<int64_t>{0, 1, 2, 3, 0, 9, 4, 5, 6}));
  EXPECT_EQ(reader.info().part_names, (std::vector<std::string>{"test", "train", "extra"}));
  EXPECT_EQ(reader.parts(), (std::vector<uint8_t>{0, 0, 0, 1, 1, 1, 1, 2, 2}));
  // Clustering is evaluated on train + test only.
  EXPECT_EQ(labelled_images(reader), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6}));
  // Pixel (row r, column c, channel ch) of image n is X(r, c, ch, n), column-major.
  const Sample s = reader.read(4);  // train image 1
  for (int r : {0, 5, 31}) {
    for (int c : {0, 7, 31}) {
      for (int ch = 0; ch < 3; ++ch) {
        const size_t i = static_cast<size_t>(r + 32 * (c + 32 * (ch + 3 * 1)));
        EXPECT_EQ(s.image[static_cast<size_t>((r * 32 + c) * 3 + ch)], (i * 31 + 2) % 251)
            << r << "," << c << "," << ch;
      }
    }
  }
  write_svhn_mat(path("bad_32x32.mat"), 2, 4, false, {1, 11});
  EXPECT_TRUE(
      dti::test::error_contains([&] { convert_svhn(options({path("bad_32x32.mat")}, "b.h5")); },
                                "label of image 1 is 11 (expected 1..10, 10 meaning 0)"));
  test::write_bytes(path("junk_32x32.mat"), "not a mat file at all");
  EXPECT_TRUE(
      dti::test::error_contains([&] { convert_svhn(options({path("junk_32x32.mat")}, "b.h5")); },
                                "is not a MATLAB .mat file"));
  // A MAT v4 header claiming a 1.85 GB name in a short file is refused before matio allocates it.
  std::string v4(20, '\0');
  const int32_t header[5] = {0, 32, 32, 0, 1851747429};  // type, rows, columns, imaginary, name
  std::memcpy(v4.data(), header, sizeof header);
  test::write_bytes(path("v4_32x32.mat"), v4 + std::string(100, 'x'));
  EXPECT_TRUE(
      dti::test::error_contains([&] { convert_svhn(options({path("v4_32x32.mat")}, "b.h5")); },
                                "claims a 1851747429-byte name and 8192 bytes of data, but 100"));
}

TEST_F(ConvertTest, RegistryListsValidNames) {
  EXPECT_TRUE(dti::test::error_contains(
      [&] { convert("mnist", options({"x"}, "y.h5")); },
      "unknown converter 'mnist'; valid: tetrominoes, multi_dsprites, clevr6, svhn, "
      "gtsrb8, weizmann_horse, folder"));
}

}  // namespace
}  // namespace dti::datasets
