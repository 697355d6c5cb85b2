#pragma once
// Batches of a dataset file as CPU tensors (the trainer moves them to its device): a seeded,
// reproducible, resumable iterator that prepares the next batches on a background thread, and a
// synchronous loader for fixed index lists (evaluation subsets, background initialisation).

#include <ATen/ATen.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "datasets/dataset_file.h"

namespace dti::datasets {

/// One batch; B is the batch size (smaller for an epoch's last batch unless dropped).
struct Batch {
  at::Tensor images;           ///< [B,3,H,W] float32 in [0,1] (uint8 / 255).
  at::Tensor labels;           ///< [B] int64, -1 = unknown; undefined when the file has no labels.
  at::Tensor instance_masks;   ///< [B,H,W] int64, 0 = background; undefined when not loaded.
  at::Tensor semantic_masks;   ///< [B,H,W] int64, 0 = background; undefined when not loaded.
  at::Tensor indices;          ///< [B] int64 positions of the images in the file.
  int64_t epoch = 0;           ///< Epoch this batch belongs to.
  int64_t batch = 0;           ///< Index of this batch within its epoch.
  bool last_in_epoch = false;  ///< Whether this batch ends its epoch.
};

/// Options of BatchIterator. The defaults are the training loader of the paper (shuffled,
/// incomplete last batch kept, as PyTorch's DataLoader(shuffle=True)).
struct BatchIteratorOptions {
  int64_t batch_size = 32;  ///< Images per batch B.
  uint64_t seed = 0;        ///< Seed of the shuffled order (epoch e uses epoch_order(seed, e)).
  bool shuffle = true;      ///< False: file (or subset) order, e.g. for evaluation.
  bool drop_last = false;   ///< Drop the incomplete last batch of every epoch.
  int64_t start_epoch = 0;  ///< First epoch produced (resume).
  int64_t start_batch = 0;  ///< First batch of start_epoch (resume); < batches_per_epoch().
  int64_t end_epoch = 0;    ///< Stop before this epoch; 0 = never stop.
  int64_t prefetch = 4;     ///< Batches prepared ahead by the background thread (>= 1).
  bool load_masks = true;   ///< Read instance and semantic masks when the file has them.
  /// Throws dti::Error naming the field when a value is out of range.
  void validate() const;
};

/// Endless (or end_epoch-bounded) stream of batches over a dataset file or a subset of it.
/// Batch (e, b) depends only on (file, subset, seed, batch_size, drop_last, e, b): starting at
/// (start_epoch, start_batch) yields exactly the batches an uninterrupted run yields from there.
class BatchIterator {
 public:
  /// Starts the background thread. `subset` lists file indices to draw from (empty = all images).
  BatchIterator(std::shared_ptr<const DatasetReader> reader, BatchIteratorOptions options,
                std::vector<int64_t> subset = {});
  /// Stops and joins the background thread.
  ~BatchIterator();
  BatchIterator(const BatchIterator&) = delete;
  BatchIterator& operator=(const BatchIterator&) = delete;

  /// Next batch, or nullopt after the last batch of epoch end_epoch - 1. Rethrows (as
  /// dti::Error) any error the background thread met, e.g. a corrupt image.
  std::optional<Batch> next();
  /// Batches in one epoch.
  int64_t batches_per_epoch() const { return batches_per_epoch_; }
  /// Images drawn from per epoch (the subset size, or N).
  int64_t epoch_size() const { return static_cast<int64_t>(items_.size()); }

 private:
  void run();
  std::shared_ptr<const DatasetReader> reader_;
  BatchIteratorOptions options_;
  std::vector<int64_t> items_;
  int64_t batches_per_epoch_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> ready_;
  bool finished_ = false;  // producer reached end_epoch
  bool stop_ = false;      // consumer is going away
  std::exception_ptr error_;
  std::thread worker_;
};

/// Loads the given file indices as one batch, synchronously (evaluation subsets, the mean of some
/// images for background initialisation). `load_masks` as in BatchIteratorOptions.
Batch load_batch(const DatasetReader& reader, const std::vector<int64_t>& indices,
                 bool load_masks = true);

}  // namespace dti::datasets
