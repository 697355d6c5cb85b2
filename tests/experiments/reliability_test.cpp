// Regression tests of reports/results/reliability.md for the checks made before a run's first
// iteration: data read and checked in full (item 7), sizes bounded against the machine (item 8),
// free space for a checkpoint (item 11).
#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "datasets/dataset_file.h"
#include "datasets/tetrominoes.h"
#include "experiments/config/config.h"
#include "experiments/run/run_preflight.h"
#include "tests/support/expect_error.h"
#include "tests/support/scratch_dir.h"

namespace dti::experiments {
namespace {

namespace fs = std::filesystem;

class PreflightTest : public test::ScratchDirTest {};

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// Flips one byte in the stored chunk of item `index` of array `name`.
void damage_chunk(const std::string& file, const char* name, hsize_t index) {
  haddr_t offset = 0;
  hsize_t size = 0;
  {
    hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    const hsize_t coords[4] = {index, 0, 0, 0};
    unsigned filter_mask = 0;
    H5Dget_chunk_info_by_coord(ds, coords, &filter_mask, &offset, &size);
    H5Dclose(ds);
    H5Fclose(f);
  }
  ASSERT_GT(size, 0u);
  std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
  out.seekg(static_cast<std::streamoff>(offset + size / 2));
  const char c = static_cast<char>(out.get());
  out.seekp(static_cast<std::streamoff>(offset + size / 2));
  out.put(static_cast<char>(c ^ 0x5A));
}

TEST_F(PreflightTest, DamagedMaskIsFoundBeforeTraining) {
  datasets::TetrominoesOptions options;
  options.count = 8;
  options.show_progress = false;
  datasets::generate_tetrominoes(options, path("tetrominoes.h5"));
  const auto config = load_config(resolve_config_path("tetrominoes"));
  {
    datasets::DatasetReader reader(path("tetrominoes.h5"), "tetrominoes");
    EXPECT_NO_THROW(check_data_before_training(reader, config.dataset));
  }
  damage_chunk(path("tetrominoes.h5"), "instance_masks", 5);
  datasets::DatasetReader reader(path("tetrominoes.h5"), "tetrominoes");  // opening reads no mask
  EXPECT_ERROR_CONTAINS(check_data_before_training(reader, config.dataset), "instance mask 5");
}

TEST_F(PreflightTest, MissingMasksAreFoundBeforeTraining) {
  datasets::DatasetInfo info;
  info.name = "tetrominoes";
  info.height = info.width = 35;
  datasets::DatasetWriter writer(path("tetrominoes.h5"), info);
  datasets::Sample sample;
  sample.image.assign(35 * 35 * 3, 7);
  writer.append(sample);
  writer.finish();
  datasets::DatasetReader reader(path("tetrominoes.h5"), "tetrominoes");
  const auto config = load_config(resolve_config_path("tetrominoes"));
  EXPECT_ERROR_CONTAINS(check_data_before_training(reader, config.dataset),
                        "has no instance masks, which the instance evaluation");
}

TEST_F(PreflightTest, AbsurdModelSizeIsRefusedBeforeAllocating) {
  const auto paper = load_config(resolve_config_path("tetrominoes"));
  EXPECT_NO_THROW(check_memory_before_training(paper, "cpu", 4 * kGiB));
  const auto huge = load_config(resolve_config_path("tetrominoes"), {"model.n_sprites=100000"});
  EXPECT_ERROR_CONTAINS(check_memory_before_training(huge, "cpu", 128 * kGiB),
                        "lower model.n_sprites or batch_size");
  EXPECT_ERROR_CONTAINS(check_memory_before_training(huge, "cpu"), "model.n_sprites = 100000");
}

TEST_F(PreflightTest, FullDiskIsFoundBeforeTraining) {
  EXPECT_NO_THROW(check_space_for_checkpoint(path("checkpoint.ckpt"), 1 << 20));
  EXPECT_ERROR_CONTAINS(check_space_for_checkpoint(path("checkpoint.ckpt"), int64_t{1} << 60),
                        "no space left for a checkpoint");
  EXPECT_TRUE(is_no_space_error("cannot write checkpoint x.tmp-1: No space left on device"));
  EXPECT_TRUE(is_no_space_error("results store 'r': 'COMMIT' failed: database or disk is full"));
  EXPECT_TRUE(is_no_space_error("no space left for a checkpoint in 'out'"));
  EXPECT_FALSE(is_no_space_error("the loss is NaN"));
}

}  // namespace
}  // namespace dti::experiments
