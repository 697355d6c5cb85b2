// The image-file converters (GTSRB-8, Weizmann Horse, a user's own folder), proven on the real
// samples (tests/fixtures/datasets) and on folders written here.

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "datasets/catalogue.h"
#include "datasets/dataset_file.h"
#include "datasets/image_io.h"
#include "datasets/subsets.h"
#include "tests/datasets/test_util.h"
#include "tests/support/expect_error.h"

namespace dti::datasets {
namespace {

namespace fs = std::filesystem;
using test::fixture;

using test::ConvertTest;

TEST_F(ConvertTest, GtsrbSamplesGiveEightLabelledImages) {
  const auto summary = convert_gtsrb8(options({fixture("gtsrb")}, "gtsrb8.h5"));
  EXPECT_EQ(summary.written, 8);
  ASSERT_EQ(summary.notes.size(), 1u);
  EXPECT_CONTAINS(summary.notes[0],
                  "GTSRB-8 has 10650 images in the full training set; converted 8");
  DatasetReader reader(path("gtsrb8.h5"), "gtsrb8");
  EXPECT_EQ(reader.info().height, 28);
  EXPECT_EQ(reader.info().width, 28);
  EXPECT_EQ(reader.labels(), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(reader.info().label_names,
            (std::vector<std::string>{"3", "7", "9", "11", "17", "18", "25", "35"}));
  EXPECT_EQ(labelled_images(reader).size(), 8u);
  // The whole image (not its ROI) is resized to 28x28.
  const Image original =
      load_image(fixture("gtsrb/Final_Training/Images/00017/00000_00009.ppm"), 3);
  EXPECT_EQ(original.width, 25);
  EXPECT_EQ(original.height, 31);
  EXPECT_EQ(reader.read(4).image, resize_bilinear(original, 28, 28).pixels);
}

TEST_F(ConvertTest, GtsrbErrorsNameTheProblem) {
  fs::copy(fixture("gtsrb"), path("g"), fs::copy_options::recursive);
  const std::string csv = path("g/Final_Training/Images/00017/GT-00017.csv");
  std::ofstream(csv) << "Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId\n"
                        "00000_00009.ppm;26;31;5;5;20;25;17\n";
  EXPECT_TRUE(dti::test::error_contains([&] { convert_gtsrb8(options({path("g")}, "x.h5")); },
                                        "00000_00009.ppm' is 25x31 but its annotation says 26x31"));
  fs::remove_all(path("g/Final_Training/Images/00025"));
  EXPECT_TRUE(dti::test::error_contains(
      [&] { convert_gtsrb8(options({path("g")}, "x.h5")); },
      "Images/00025' is missing; is this the complete GTSRB training set?"));
  EXPECT_TRUE(dti::test::error_contains(
      [&] { convert_gtsrb8(options({path("GTSRB_Final_Training_Images.zip")}, "x.h5")); },
      "is an archive; extract it first (unzip"));
}

TEST_F(ConvertTest, WeizmannSamplesGiveBinaryMasksAt128) {
  const auto summary = convert_weizmann_horse(options({fixture("weizmann_horse")}, "horse.h5"));
  EXPECT_EQ(summary.written, 3);
  DatasetReader reader(path("horse.h5"), "weizmann_horse");
  EXPECT_EQ(reader.info().height, 128);
  EXPECT_EQ(reader.info().width, 128);
  EXPECT_TRUE(reader.info().has_instance_masks && reader.info().has_semantic_masks);
  const char* names[3] = {"horse003.jpg", "horse006.jpg", "horse009.jpg"};
  bool sizes_differ = false;
  for (int i = 0; i < 3; ++i) {
    const Sample s = reader.read(i);
    EXPECT_EQ(*std::max_element(s.semantic_mask.begin(), s.semantic_mask.end()), 1);
    EXPECT_EQ(s.instance_mask, s.semantic_mask);
    const Image rgb = load_image(fixture(std::string("weizmann_horse/rgb/") + names[i]), 3);
    const Image mask =
        load_image(fixture(std::string("weizmann_horse/figure_ground/") + names[i]), 1);
    sizes_differ |= rgb.width != mask.width;
    // Nearest resizing keeps the horse's share of the frame.
    const double before = static_cast<double>(std::count_if(mask.pixels.begin(), mask.pixels.end(),
                                                            [](uint8_t v) { return v >= 128; })) /
                          static_cast<double>(mask.pixels.size());
    const double after =
        static_cast<double>(std::count(s.semantic_mask.begin(), s.semantic_mask.end(), 1)) /
        (128.0 * 128.0);
    EXPECT_NEAR(after, before, 0.02) << names[i];
    EXPECT_GT(after, 0.05) << names[i];
  }
  EXPECT_TRUE(sizes_differ) << "the fixture should include an rgb image larger than its mask";
  fs::copy(fixture("weizmann_horse"), path("w"), fs::copy_options::recursive);
  fs::remove(path("w/figure_ground/horse006.jpg"));
  EXPECT_TRUE(dti::test::error_contains(
      [&] { convert_weizmann_horse(options({path("w")}, "x.h5")); }, "horse006.jpg' has no mask"));
  EXPECT_TRUE(dti::test::error_contains(
      [&] { convert_weizmann_horse(options({path("weizmann_horse_db.tar.gz")}, "x.h5")); },
      "extract it first (tar xf"));
}

TEST_F(ConvertTest, FolderLabelsComeFromSubfoldersOrCsv) {
  const auto image = [&](const std::string& rel, int w, uint8_t v) {
    fs::create_directories(fs::path(path("f/" + rel)).parent_path());
    Image im;
    im.height = 6;
    im.width = w;
    im.channels = 3;
    im.pixels.assign(static_cast<size_t>(6 * w * 3), v);
    write_png(path("f/" + rel), im);
  };
  image("dog/b.png", 5, 10);
  image("cat/a.png", 5, 20);
  image("dog/c.png", 5, 30);
  convert_folder(options({path("f")}, "pets.h5"));
  DatasetReader pets(path("pets.h5"));
  EXPECT_EQ(pets.info().name, "f");
  EXPECT_EQ(pets.info().label_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(pets.labels(), (std::vector<int64_t>{0, 1, 1}));  // cat/a, dog/b, dog/c
  EXPECT_EQ(pets.read(1).image[0], 10);

  std::ofstream(path("labels.csv")) << "path,label\ncat/a.png,7\ndog/c.png,3\n";
  auto o = options({path("f")}, "csv.h5");
  o.labels_csv = path("labels.csv");
  const auto summary = convert_folder(o);
  DatasetReader csv(path("csv.h5"));
  EXPECT_EQ(csv.info().label_names, (std::vector<std::string>{"3", "7"}));
  EXPECT_EQ(csv.labels(), (std::vector<int64_t>{1, -1, 0}));
  ASSERT_EQ(summary.notes.size(), 1u);
  EXPECT_CONTAINS(summary.notes[0], "1 images have no row in");

  image("dog/wide.png", 9, 40);
  EXPECT_TRUE(
      dti::test::error_contains([&] { convert_folder(options({path("f")}, "x.h5")); },
                                "'dog/wide.png' is 9x6 but 'cat/a.png' is 5x6; pass --size N"));
  o = options({path("f")}, "sized.h5");
  o.size = 8;
  convert_folder(o);
  EXPECT_EQ(DatasetReader(path("sized.h5")).info().width, 8);
}

}  // namespace
}  // namespace dti::datasets
