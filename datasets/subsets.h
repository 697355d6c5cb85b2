#pragma once
// Index subsets of a dataset file: the evaluation images and the shuffled order of each epoch.
// LibTorch-free; batch_iterator.h turns index lists into tensors.

#include <cstdint>
#include <vector>

#include "datasets/dataset_file.h"

namespace dti::datasets {

/// Images of the multi-object evaluation: the model is scored on the first 320 training images.
constexpr int64_t kEvaluationImages = 320;

/// Indices 0..N-1.
std::vector<int64_t> all_images(const DatasetReader& reader);

/// Indices 0..min(count, N)-1 (the evaluation subset of Tables 1, 2 and 5 with the default count).
std::vector<int64_t> first_images(const DatasetReader& reader, int64_t count = kEvaluationImages);

/// `count` images drawn without replacement by a permutation seeded with `seed`, in file order:
/// the training subset when a run uses fewer images than the file holds (a folder converted
/// class by class would give a single class with the first ones). All images when count >= N.
std::vector<int64_t> random_images(const DatasetReader& reader, int64_t count, uint64_t seed);

/// Images of the clustering evaluation, in file order: labelled (label >= 0) and in one of the
/// file's clustering parts (all parts when it names none; SVHN: train and test, not extra).
/// Throws dti::Error when the file has no labels.
std::vector<int64_t> labelled_images(const DatasetReader& reader);

/// Order in which an epoch visits `count` items: a Fisher-Yates permutation that depends only on
/// (seed, epoch), so a resumed run sees exactly the batches of an uninterrupted one.
std::vector<int64_t> epoch_order(int64_t count, uint64_t seed, int64_t epoch);

}  // namespace dti::datasets
