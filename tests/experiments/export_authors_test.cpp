// `runexp data export --format authors-png`: a generated file exported to the authors' folders
// reads back with the same pixels and labels, in their loader's layout (<i>.png, 8-bit grey masks).

#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "datasets/catalogue.h"
#include "datasets/dataset_file.h"
#include "datasets/export_authors.h"
#include "datasets/image_io.h"
#include "experiments/cli/data_cli.h"
#include "tests/datasets/test_util.h"
#include "tests/support/expect_error.h"

namespace dti::datasets {
namespace {

namespace fs = std::filesystem;

class ExportAuthorsTest : public test::ScratchTest {};

// PNG colour type and bit depth from the IHDR chunk: the authors' loader opens masks with
// PIL's convert('L'), which would average the channels of an RGB mask, so masks must be grey.
std::pair<int, int> png_type_and_depth(const std::string& path) {
  const std::string bytes = test::read_bytes(path);
  EXPECT_GT(bytes.size(), 26u) << path;
  return {static_cast<uint8_t>(bytes[25]), static_cast<uint8_t>(bytes[24])};
}

// Every stored image and mask of `file` equals its PNG under `folder`.
void expect_round_trip(const std::string& file, const std::string& folder, int64_t count) {
  const DatasetReader reader(file);
  for (int64_t i = 0; i < count; ++i) {
    const Sample s = reader.read(i);
    const std::string name = "/" + std::to_string(i) + ".png";
    EXPECT_EQ(load_image(folder + "/images" + name, 3).pixels, s.image) << i;
    EXPECT_EQ(load_image(folder + "/masks" + name, 1).pixels, s.instance_mask) << i;
    EXPECT_EQ(load_image(folder + "/sem_masks" + name, 1).pixels, s.semantic_mask) << i;
    EXPECT_EQ(png_type_and_depth(folder + "/masks" + name), std::make_pair(0, 8)) << i;
    EXPECT_EQ(png_type_and_depth(folder + "/sem_masks" + name), std::make_pair(0, 8)) << i;
    EXPECT_EQ(png_type_and_depth(folder + "/images" + name), std::make_pair(2, 8)) << i;
  }
}

size_t files_in(const std::string& folder) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(folder)) ++n;
  return n;
}

TEST_F(ExportAuthorsTest, TetrominoesRoundTripInTheirLayout) {
  generate("tetrominoes", 12, 5, false, path("t.h5"));
  AuthorsExportOptions o;
  o.input = path("t.h5");
  o.out_root = path("datasets");
  const AuthorsExportSummary summary = export_authors_png(o);
  EXPECT_EQ(summary.images, 12);
  EXPECT_EQ(summary.folder, path("datasets") + "/tetrominoes");
  expect_round_trip(path("t.h5"), summary.folder, 12);
  for (const char* sub : {"images", "masks", "sem_masks"}) {
    EXPECT_EQ(files_in(summary.folder + "/" + sub), 12u) << sub;
  }
  EXPECT_EQ(files_in(path("datasets")), 1u);  // no temporary folder left behind
  // The labels are non-trivial: objects 1..3 and semantic ids above 1 occur.
  const DatasetReader reader(path("t.h5"));
  int max_instance = 0, max_semantic = 0;
  for (int64_t i = 0; i < 12; ++i) {
    for (uint8_t v : reader.read(i).instance_mask) max_instance = std::max<int>(max_instance, v);
    for (uint8_t v : reader.read(i).semantic_mask) max_semantic = std::max<int>(max_semantic, v);
  }
  EXPECT_EQ(max_instance, 3);
  EXPECT_GT(max_semantic, 3);
}

TEST_F(ExportAuthorsTest, MultiDspritesGetsTheirFolderNameAndLimitCuts) {
  generate("multi_dsprites", 6, 1, false, path("m.h5"));
  AuthorsExportOptions o;
  o.input = path("m.h5");
  o.out_root = path("out");
  o.limit = 4;
  const AuthorsExportSummary summary = export_authors_png(o);
  EXPECT_EQ(summary.folder, path("out") + "/dsprites_gray");
  EXPECT_EQ(summary.images, 4);
  EXPECT_EQ(files_in(summary.folder + "/images"), 4u);
  expect_round_trip(path("m.h5"), summary.folder, 4);
  EXPECT_EQ(authors_folder_name("clevr6"), "clevr6");
}

TEST_F(ExportAuthorsTest, RefusesAnExistingFolderAndFilesWithoutMasks) {
  generate("tetrominoes", 2, 0, false, path("t.h5"));
  fs::create_directories(path("d/tetrominoes"));
  AuthorsExportOptions o;
  o.input = path("t.h5");
  o.out_root = path("d");
  EXPECT_ERROR_CONTAINS(export_authors_png(o), "already exists; remove it or choose another --out");

  DatasetInfo info;
  info.name = "plain";
  info.height = 2;
  info.width = 2;
  info.provenance = "{}";
  {
    DatasetWriter writer(path("plain.h5"), info);
    Sample s;
    s.image.assign(12, 7);
    writer.append(s);
    writer.finish();
  }
  o.input = path("plain.h5");
  o.out_root = path("e");
  EXPECT_ERROR_CONTAINS(export_authors_png(o),
                        "has no instance and semantic masks; the authors' multi-object layout");
  EXPECT_FALSE(fs::exists(path("e/plain")));
}

// The command line: usage errors exit 2 with the message, success prints the folder.
TEST_F(ExportAuthorsTest, CommandLine) {
  generate("tetrominoes", 3, 2, false, path("t.h5"));
  auto run = [](std::vector<std::string> args, std::string* out, std::string* err) {
    args.insert(args.begin(), {"data", "export"});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream o, e;
    auto* old_out = std::cout.rdbuf(o.rdbuf());
    auto* old_err = std::cerr.rdbuf(e.rdbuf());
    const int status = experiments::data_main(static_cast<int>(argv.size()), argv.data());
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old_err);
    *out = o.str();
    *err = e.str();
    return status;
  };
  std::string out, err;
  EXPECT_EQ(run({"--format", "npz", "--input", path("t.h5"), "--out", path("x")}, &out, &err), 2);
  EXPECT_CONTAINS(err, "--format must be authors-png, got 'npz'");
  EXPECT_EQ(run({"--format", "authors-png", "--out", path("x")}, &out, &err), 2);
  EXPECT_CONTAINS(err, "--input FILE is required");
  EXPECT_EQ(run({"--format", "authors-png", "--input", path("t.h5"), "--out", path("x"), "--name",
                 "tetro", "-q"},
                &out, &err),
            0)
      << err;
  EXPECT_CONTAINS(out, "wrote " + path("x") + "/tetro: 3 images");
  expect_round_trip(path("t.h5"), path("x") + "/tetro", 3);
  EXPECT_EQ(run({"--format", "authors-png", "--input", path("missing.h5"), "--out", path("y")},
                &out, &err),
            1);
}

}  // namespace
}  // namespace dti::datasets
