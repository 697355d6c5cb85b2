// Batches as tensors: values, shapes and dtypes; the seeded, resumable order; evaluation subsets.

#include <set>

#include "base/error.h"
#include "datasets/batch_iterator.h"
#include "datasets/subsets.h"
#include "datasets/tetrominoes.h"
#include "tests/datasets/test_util.h"
#include "tests/support/expect_error.h"

namespace dti::datasets {
namespace {

class BatchIteratorTest : public test::ScratchTest {
 protected:
  void SetUp() override {
    ScratchTest::SetUp();
    TetrominoesOptions options;
    options.count = 70;
    options.show_progress = false;
    generate_tetrominoes(options, path("t.h5"));
    reader_ = std::make_shared<DatasetReader>(path("t.h5"));
  }

  // Every batch of epochs [start, end) as (epoch, batch, indices).
  std::vector<std::vector<int64_t>> drain(BatchIteratorOptions o) {
    std::vector<std::vector<int64_t>> out;
    BatchIterator it(reader_, o);
    while (auto batch = it.next()) {
      std::vector<int64_t> row{batch->epoch, batch->batch};
      for (int64_t i = 0; i < batch->indices.size(0); ++i)
        row.push_back(batch->indices[i].item<int64_t>());
      out.push_back(row);
    }
    return out;
  }

  std::shared_ptr<DatasetReader> reader_;
};

TEST_F(BatchIteratorTest, BatchesAreUnitFloatImagesAndInt64Masks) {
  BatchIteratorOptions o;
  o.batch_size = 32;
  o.end_epoch = 1;
  BatchIterator it(reader_, o);
  EXPECT_EQ(it.batches_per_epoch(), 3);
  auto batch = it.next();
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->images.sizes(), (std::vector<int64_t>{32, 3, 35, 35}));
  EXPECT_EQ(batch->images.scalar_type(), at::kFloat);
  EXPECT_EQ(batch->instance_masks.sizes(), (std::vector<int64_t>{32, 35, 35}));
  EXPECT_EQ(batch->instance_masks.scalar_type(), at::kLong);
  EXPECT_EQ(batch->semantic_masks.scalar_type(), at::kLong);
  EXPECT_FALSE(batch->labels.defined()) << "Tetrominoes has no labels";
  EXPECT_TRUE(batch->images.device().is_cpu());
  // Values: uint8 / 255 in NCHW order.
  const int64_t index = batch->indices[5].item<int64_t>();
  const Sample s = reader_->read(index);
  for (int y : {0, 17, 34}) {
    for (int x : {0, 20, 34}) {
      for (int c = 0; c < 3; ++c) {
        EXPECT_FLOAT_EQ(batch->images[5][c][y][x].item<float>(),
                        s.image[static_cast<size_t>((y * 35 + x) * 3 + c)] / 255.0f);
      }
      EXPECT_EQ(batch->instance_masks[5][y][x].item<int64_t>(),
                s.instance_mask[static_cast<size_t>(y * 35 + x)]);
    }
  }
  EXPECT_GE(batch->images.min().item<float>(), 0.0f);
  EXPECT_LE(batch->images.max().item<float>(), 1.0f);
  it.next();
  auto last = it.next();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->images.size(0), 70 - 64);  // incomplete last batch kept
  EXPECT_TRUE(last->last_in_epoch);
  EXPECT_FALSE(it.next().has_value());
}

TEST_F(BatchIteratorTest, EpochOrderIsAPureFunctionOfSeedAndEpoch) {
  const auto a = epoch_order(70, 5, 3), b = epoch_order(70, 5, 3);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, epoch_order(70, 5, 4));
  EXPECT_NE(a, epoch_order(70, 6, 3));
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 70u);
  // Pinned values: a change of the shuffle would silently change every resumed run.
  EXPECT_EQ(epoch_order(10, 0, 0), (std::vector<int64_t>{9, 2, 0, 8, 5, 4, 1, 7, 3, 6}));
}

TEST_F(BatchIteratorTest, ResumingMidEpochSeesTheSameBatches) {
  BatchIteratorOptions o;
  o.batch_size = 16;  // 5 batches per epoch
  o.seed = 11;
  o.end_epoch = 3;
  const auto full = drain(o);
  ASSERT_EQ(full.size(), 15u);
  o.start_epoch = 1;
  o.start_batch = 3;
  const auto resumed = drain(o);
  ASSERT_EQ(resumed.size(), 7u);
  EXPECT_EQ(resumed, std::vector<std::vector<int64_t>>(full.begin() + 8, full.end()));
  // Each epoch visits every image once.
  std::multiset<int64_t> epoch1;
  for (const auto& row : full) {
    if (row[0] == 1) epoch1.insert(row.begin() + 2, row.end());
  }
  EXPECT_EQ(epoch1.size(), 70u);
  EXPECT_EQ(std::set<int64_t>(epoch1.begin(), epoch1.end()).size(), 70u);
  // Epochs differ; drop_last drops the 6 leftover images.
  EXPECT_NE(std::vector<int64_t>(full[0].begin() + 2, full[0].end()),
            std::vector<int64_t>(full[5].begin() + 2, full[5].end()));
  o = BatchIteratorOptions();
  o.batch_size = 16;
  o.drop_last = true;
  o.end_epoch = 1;
  const auto dropped = drain(o);
  ASSERT_EQ(dropped.size(), 4u);
  EXPECT_EQ(dropped.back().size(), 18u);
}

TEST_F(BatchIteratorTest, UnshuffledSubsetsForEvaluation) {
  EXPECT_EQ(first_images(*reader_, 320).size(), 70u);
  EXPECT_EQ(first_images(*reader_, 10), (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  BatchIteratorOptions o;
  o.shuffle = false;
  o.batch_size = 4;
  o.end_epoch = 1;
  o.load_masks = false;
  BatchIterator it(reader_, o, {9, 3, 5, 7, 1});
  auto first = it.next();
  EXPECT_EQ(std::vector<int64_t>(first->indices.data_ptr<int64_t>(),
                                 first->indices.data_ptr<int64_t>() + 4),
            (std::vector<int64_t>{9, 3, 5, 7}));
  EXPECT_FALSE(first->instance_masks.defined());
  EXPECT_EQ(it.next()->indices.size(0), 1);
  EXPECT_FALSE(it.next().has_value());
  const Batch direct = load_batch(*reader_, {3, 4});
  EXPECT_TRUE(direct.images.equal(load_batch(*reader_, {3, 4}).images));
  EXPECT_ERROR_CONTAINS(labelled_images(*reader_),
                        "has no labels, so it has no clustering evaluation set");
}

TEST_F(BatchIteratorTest, OptionsAndBackgroundErrorsAreReported) {
  BatchIteratorOptions o;
  o.start_batch = 3;  // 70 images of 32: 3 batches, 0..2
  EXPECT_ERROR_CONTAINS(BatchIterator(reader_, o), "start_batch = 3 but an epoch has 3 batches");
  o = BatchIteratorOptions();
  o.batch_size = 0;
  EXPECT_THROW(BatchIterator(reader_, o), Error);
  // A subset index outside the file fails early.
  EXPECT_THROW(BatchIterator(reader_, BatchIteratorOptions(), {70}), Error);
}

TEST_F(BatchIteratorTest, CorruptImageSurfacesInNext) {
  test::corrupt_image_chunk(path("t.h5"), 6);
  auto reader = std::make_shared<DatasetReader>(path("t.h5"));
  BatchIteratorOptions o;
  o.shuffle = false;
  o.batch_size = 4;
  BatchIterator it(reader, o);
  EXPECT_TRUE(it.next().has_value());  // images 0..3 are intact
  EXPECT_ERROR_CONTAINS(it.next(), "image 6 is corrupt or truncated");
}

}  // namespace
}  // namespace dti::datasets
