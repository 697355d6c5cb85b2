// The HDF5 layout: round trip, determinism, atomic writes, and every bad-file error of the reader.

#include <hdf5.h>

#include <chrono>
#include <thread>

#include "datasets/dataset_file.h"
#include "datasets/h5_util.h"
#include "datasets/tetrominoes.h"
#include "tests/datasets/test_util.h"
#include "tests/support/expect_error.h"

namespace dti::datasets {
namespace {

using test::ScratchTest;

DatasetInfo small_info() {
  DatasetInfo info;
  info.name = "toy";
  info.height = 4;
  info.width = 5;
  info.has_labels = true;
  info.has_instance_masks = true;
  info.has_semantic_masks = true;
  info.num_classes = 3;
  info.max_objects = 2;
  info.label_names = {"a", "b", "c"};
  info.part_names = {"train", "extra"};
  info.clustering_parts = {"train"};
  info.provenance = R"({"kind":"test"})";
  return info;
}

Sample toy_sample(int i) {
  Sample s;
  for (int p = 0; p < 4 * 5 * 3; ++p) s.image.push_back(static_cast<uint8_t>((p * 7 + i) % 256));
  for (int p = 0; p < 4 * 5; ++p) {
    s.instance_mask.push_back(static_cast<uint8_t>((p + i) % 3));
    s.semantic_mask.push_back(static_cast<uint8_t>((p + 2 * i) % 4));
  }
  s.label = i % 4 - 1;  // -1 (unlabelled), 0, 1, 2
  s.part = i % 2;
  return s;
}

// Writes a hand-made HDF5 file: `images` of the given type and shape plus valid attributes.
// `old_layout` writes HDF5's default (pre-1.8) file format, as format 1 and 2 files were.
void write_raw(const std::string& path, hid_t type, const std::vector<hsize_t>& dims,
               int64_t version = kFormatVersion, bool with_format = true, bool old_layout = false) {
  h5::Handle file =
      old_layout
          ? h5::Handle(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose)
          : h5::create_checksummed_file(path);
  h5::Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  h5::Handle ds(
      H5Dcreate2(file.get(), "images", type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose);
  if (with_format) h5::write_string(file.get(), "format", kFormatName);
  h5::write_int(file.get(), "format_version", version);
  h5::write_string(file.get(), "dataset", "toy");
  h5::write_int(file.get(), "num_classes", 3);
  h5::write_int(file.get(), "max_objects", 2);
  h5::write_string(file.get(), "provenance", "{}");
}

// Adds a 1-D dataset `name` of `type` with `n` zero values to an existing file.
void add_vector(const std::string& path, const char* name, hid_t type, hsize_t n,
                const void* values) {
  h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  h5::Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  h5::Handle ds(
      H5Dcreate2(file.get(), name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
      H5Dclose);
  H5Dwrite(ds.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
}

class FormatTest : public ScratchTest {};

TEST_F(FormatTest, RoundTripKeepsEveryArrayAndAttribute) {
  const std::string file = path("toy.h5");
  DatasetWriter writer(file, small_info());
  for (int i = 0; i < 300; ++i) writer.append(toy_sample(i));  // crosses the write buffer
  writer.finish();

  DatasetReader reader(file);
  const DatasetInfo& info = reader.info();
  EXPECT_EQ(info.name, "toy");
  EXPECT_EQ(info.size, 300);
  EXPECT_EQ(info.height, 4);
  EXPECT_EQ(info.width, 5);
  EXPECT_TRUE(info.has_labels && info.has_instance_masks && info.has_semantic_masks);
  EXPECT_EQ(info.num_classes, 3);
  EXPECT_EQ(info.max_objects, 2);
  EXPECT_EQ(info.label_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(info.part_names, (std::vector<std::string>{"train", "extra"}));
  EXPECT_EQ(info.clustering_parts, (std::vector<std::string>{"train"}));
  EXPECT_EQ(info.provenance, R"({"kind":"test"})");
  EXPECT_EQ(info.format_version, kFormatVersion);
  for (int i : {0, 1, 2, 3, 255, 256, 299}) {
    const Sample expected = toy_sample(i);
    const Sample got = reader.read(i);
    EXPECT_EQ(got.image, expected.image) << "image " << i;
    EXPECT_EQ(got.instance_mask, expected.instance_mask) << "image " << i;
    EXPECT_EQ(got.semantic_mask, expected.semantic_mask) << "image " << i;
    EXPECT_EQ(got.label, expected.label) << "image " << i;
    EXPECT_EQ(got.part, expected.part) << "image " << i;
  }
}

TEST_F(FormatTest, SameSeedGivesByteIdenticalFiles) {
  TetrominoesOptions options;
  options.count = 50;
  options.show_progress = false;
  generate_tetrominoes(options, path("a.h5"));
  // Over a second apart: HDF5's object headers can hold times of second resolution (the 1.10
  // format's do unless turned off), which must not reach the file.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  generate_tetrominoes(options, path("b.h5"));
  options.seed = 1;
  generate_tetrominoes(options, path("c.h5"));
  EXPECT_EQ(test::read_bytes(path("a.h5")), test::read_bytes(path("b.h5")));
  EXPECT_NE(test::read_bytes(path("a.h5")), test::read_bytes(path("c.h5")));
}

TEST_F(FormatTest, UnfinishedWriterLeavesNothing) {
  {
    DatasetWriter writer(path("never.h5"), small_info());
    writer.append(toy_sample(0));
    EXPECT_EQ(files().size(), 1u) << "the temporary file exists while writing";
    EXPECT_FALSE(std::filesystem::exists(path("never.h5")));
  }
  EXPECT_TRUE(files().empty());
}

TEST_F(FormatTest, WriterRejectsSamplesOutsideTheLayout) {
  DatasetWriter writer(path("w.h5"), small_info());
  Sample s = toy_sample(1);
  s.label = 3;
  EXPECT_ERROR_CONTAINS(writer.append(s), "label 3 outside -1..2");
  s = toy_sample(1);
  s.instance_mask[0] = 3;
  EXPECT_ERROR_CONTAINS(writer.append(s), "instance id 3 above max_objects = 2");
  s = toy_sample(1);
  s.semantic_mask[0] = 4;
  EXPECT_ERROR_CONTAINS(writer.append(s), "semantic class 4 above num_classes = 3");
  s = toy_sample(1);
  s.image.pop_back();
  EXPECT_ERROR_CONTAINS(writer.append(s), "59 image bytes, expected 4x5x3");
  DatasetInfo bad = small_info();
  bad.clustering_parts = {"test"};
  EXPECT_ERROR_CONTAINS(DatasetWriter(path("x.h5"), bad), "clustering part 'test' is not one of");
  EXPECT_ERROR_CONTAINS(DatasetWriter(path("no/such/folder/x.h5"), small_info()),
                        "no/such/folder' does not exist");
}

TEST_F(FormatTest, MissingFileSaysHowToMakeIt) {
  EXPECT_ERROR_CONTAINS(DatasetReader(path("t.h5"), "tetrominoes"),
                        "does not exist. Make it with: runexp data generate tetrominoes --n 60000 "
                        "--seed 0 --out " +
                            path("t.h5"));
  // Without an expected name, a file named after a dataset still gets its exact command.
  EXPECT_ERROR_CONTAINS(
      DatasetReader(path("clevr6.h5")),
      "runexp data convert clevr6 --input clevr_with_masks_train.tfrecords --out " +
          path("clevr6.h5"));
  EXPECT_ERROR_CONTAINS(DatasetReader(path("mine.h5")),
                        "runexp data convert tetrominoes|multi_dsprites|clevr6|svhn|gtsrb8|"
                        "weizmann_horse|folder --input PATH...");
}

TEST_F(FormatTest, NotHdf5TruncatedAndCorruptFilesAreNamed) {
  test::write_bytes(path("text.h5"), "images,labels\n1,2\n");
  EXPECT_ERROR_CONTAINS(DatasetReader(path("text.h5")), "is not an HDF5 file");

  TetrominoesOptions options;
  options.count = 40;
  options.show_progress = false;
  generate_tetrominoes(options, path("good.h5"));
  const std::string bytes = test::read_bytes(path("good.h5"));
  test::write_bytes(path("cut.h5"), bytes.substr(0, bytes.size() / 2));
  EXPECT_ERROR_CONTAINS(DatasetReader(path("cut.h5")), "is truncated or corrupt");

  // Flip one byte inside the stored chunk of image 7: its checksum no longer matches.
  test::write_bytes(path("corrupt.h5"), bytes);
  test::corrupt_image_chunk(path("corrupt.h5"), 7);
  DatasetReader reader(path("corrupt.h5"));
  std::vector<uint8_t> image(35 * 35 * 3);
  reader.read_image(6, image.data());  // neighbours are intact
  EXPECT_ERROR_CONTAINS(reader.read_image(7, image.data()), "image 7 is corrupt or truncated");
}

TEST_F(FormatTest, WrongTypesAndShapesAreExplained) {
  write_raw(path("float.h5"), H5T_NATIVE_FLOAT, {2, 8, 8, 3});
  EXPECT_ERROR_CONTAINS(DatasetReader(path("float.h5")),
                        "'images' expected uint8 [?,?,?,3], got float32 [2,8,8,3]");
  write_raw(path("rgba.h5"), H5T_STD_U8LE, {2, 8, 8, 4});
  EXPECT_ERROR_CONTAINS(DatasetReader(path("rgba.h5")),
                        "'images' expected uint8 [?,?,?,3], got uint8 [2,8,8,4]");
  write_raw(path("labels.h5"), H5T_STD_U8LE, {2, 8, 8, 3});
  const int32_t int_labels[2] = {0, 1};
  add_vector(path("labels.h5"), "labels", H5T_NATIVE_INT32, 2, int_labels);
  EXPECT_ERROR_CONTAINS(DatasetReader(path("labels.h5")),
                        "'labels' expected int64 [2], got int32 [2]");
  write_raw(path("range.h5"), H5T_STD_U8LE, {2, 8, 8, 3});
  const int64_t big_labels[2] = {0, 5};
  add_vector(path("range.h5"), "labels", H5T_NATIVE_INT64, 2, big_labels);
  EXPECT_ERROR_CONTAINS(DatasetReader(path("range.h5")), "label of image 1 is 5, outside -1..2");
  write_raw(path("masks.h5"), H5T_STD_U8LE, {2, 8, 8, 3});
  {
    h5::Handle file(H5Fopen(path("masks.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    const hsize_t dims[3] = {2, 8, 7};
    h5::Handle space(H5Screate_simple(3, dims, nullptr), H5Sclose);
    h5::Handle ds(H5Dcreate2(file.get(), "instance_masks", H5T_STD_U8LE, space.get(), H5P_DEFAULT,
                             H5P_DEFAULT, H5P_DEFAULT),
                  H5Dclose);
  }
  EXPECT_ERROR_CONTAINS(DatasetReader(path("masks.h5")),
                        "'instance_masks' expected uint8 [2,8,8], got uint8 [2,8,7]");
}

TEST_F(FormatTest, VersionAndIdentityAreChecked) {
  write_raw(path("v4.h5"), H5T_STD_U8LE, {2, 8, 8, 3}, 4);
  EXPECT_ERROR_CONTAINS(DatasetReader(path("v4.h5")),
                        "unsupported format version 4 (this build reads version 3 only; a newer");
  write_raw(path("v2.h5"), H5T_STD_U8LE, {2, 8, 8, 3}, 2);
  EXPECT_ERROR_CONTAINS(DatasetReader(path("v2.h5")), "an older dtisprites wrote it");
  // Version 3 promises checksums of everything; a file without them is refused.
  write_raw(path("bare.h5"), H5T_STD_U8LE, {2, 8, 8, 3});
  EXPECT_ERROR_CONTAINS(DatasetReader(path("bare.h5")), "no 'checksums' array");
  write_raw(path("foreign.h5"), H5T_STD_U8LE, {2, 8, 8, 3}, 3, false);
  EXPECT_ERROR_CONTAINS(DatasetReader(path("foreign.h5")),
                        "is an HDF5 file but not a dtisprites dataset");
  TetrominoesOptions options;
  options.count = 4;
  options.show_progress = false;
  generate_tetrominoes(options, path("toy.h5"));
  EXPECT_NO_THROW(DatasetReader(path("toy.h5")));
  EXPECT_ERROR_CONTAINS(DatasetReader(path("toy.h5"), "clevr6"),
                        "holds dataset 'tetrominoes', expected 'clevr6'");
}

TEST_F(FormatTest, AMissingAttributeNamesTheFileOnce) {
  write_raw(path("toy.h5"), H5T_STD_U8LE, {2, 8, 8, 3});
  {
    h5::Handle file(H5Fopen(path("toy.h5").c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
    ASSERT_GE(H5Adelete(file.get(), "num_classes"), 0);
  }
  try {
    DatasetReader reader(path("toy.h5"));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("dataset file '" + path("toy.h5") + "': missing attribute 'num_classes'"),
              std::string::npos)
        << what;
    EXPECT_EQ(what.find("dataset file", 1), std::string::npos) << what;
  }
}

// Format 1 and 2 files were written in HDF5's old format, whose headers carry no checksums and
// which libhdf5 decodes unverified (fuzzing found it reading past its buffers on damaged ones):
// refused before any attribute is read, with the command that makes the file again.
TEST_F(FormatTest, OldHdf5LayoutIsRefusedBeforeItsHeadersAreDecoded) {
  write_raw(path("tetrominoes_n48.h5"), H5T_STD_U8LE, {48, 35, 35, 3}, 2, true, true);
  EXPECT_ERROR_CONTAINS(DatasetReader(path("tetrominoes_n48.h5")),
                        "is in HDF5's old file format (superblock version 0)");
  EXPECT_ERROR_CONTAINS(DatasetReader(path("tetrominoes_n48.h5")), "--n 48");
  // What this build writes: superblock version 3.
  TetrominoesOptions options;
  options.count = 2;
  options.show_progress = false;
  generate_tetrominoes(options, path("new.h5"));
  h5::Handle file(H5Fopen(path("new.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  EXPECT_EQ(h5::superblock_version(file.get()), 3);
}

}  // namespace
}  // namespace dti::datasets
