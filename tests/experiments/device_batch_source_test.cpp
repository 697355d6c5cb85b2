// Batches gathered on the device are exactly the file iterator's: same order per epoch, the
// incomplete last batch kept, the same conversion, after a seek too. Checked on the CPU here; a
// _CUDA test checks the GPU copy.
#include "experiments/run/device_batch_source.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "datasets/batch_iterator.h"
#include "datasets/catalogue.h"
#include "tests/support/cuda.h"

namespace dti::experiments {
namespace {

class DeviceBatchSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = (std::filesystem::temp_directory_path() /
             ("dti_device_source_" + std::to_string(::getpid()) + ".h5"))
                .string();
    datasets::generate("tetrominoes", 23, 3, /*show_progress=*/false, path_);
  }
  static void TearDownTestSuite() { std::filesystem::remove(path_); }

  // The file iterator's batches from (epoch, batch) on, as FileBatchSource asks for them.
  static std::vector<at::Tensor> file_batches(const std::vector<int64_t>& subset, int64_t epoch,
                                              int64_t batch, int count) {
    auto reader = std::make_shared<const datasets::DatasetReader>(path_);
    datasets::BatchIteratorOptions o;
    o.batch_size = 5;
    o.seed = 9;
    o.load_masks = false;
    o.start_epoch = epoch;
    o.start_batch = batch;
    datasets::BatchIterator it(reader, o, subset);
    std::vector<at::Tensor> out;
    for (int i = 0; i < count; ++i) out.push_back(it.next()->images);
    return out;
  }

  static void expect_same(const std::vector<int64_t>& subset, int64_t epoch, int64_t batch,
                          at::Device device) {
    datasets::DatasetReader reader(path_);
    DeviceBatchSource source(reader, subset, 5, 9, device);
    source.seek(epoch, batch);
    const auto expected = file_batches(subset, epoch, batch, 12);
    for (size_t i = 0; i < expected.size(); ++i) {
      const auto got = source.next();
      // "cuda" (no index, as --device cuda gives) lands on the current GPU, cuda:0 here.
      EXPECT_EQ(got.device().type(), device.type());
      if (device.has_index()) {
        EXPECT_EQ(got.device().index(), device.index());
      }
      EXPECT_TRUE(at::equal(got.cpu(), expected[i]))
          << "batch " << i << " from " << epoch << "," << batch;
    }
  }

  static std::string path_;
};
std::string DeviceBatchSourceTest::path_;

TEST_F(DeviceBatchSourceTest, SameBatchesAsTheFileIterator) {
  datasets::DatasetReader reader(path_);
  DeviceBatchSource source(reader, {}, 5, 9, at::kCPU);
  EXPECT_EQ(source.batches_per_epoch(), 5);  // 23 images: 4 full batches and one of 3
  expect_same({}, 0, 0, at::kCPU);
}

TEST_F(DeviceBatchSourceTest, SameBatchesAfterASeekAndOnASubset) {
  expect_same({}, 2, 3, at::kCPU);
  expect_same({1, 4, 6, 7, 10, 11, 15, 20, 22}, 1, 1, at::kCPU);
}

TEST_F(DeviceBatchSourceTest, SameBatchesOnTheGpu_CUDA) {
  DTI_SKIP_WITHOUT_CUDA();
  expect_same({}, 0, 0, at::Device("cuda"));
}

}  // namespace
}  // namespace dti::experiments
