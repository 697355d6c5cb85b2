#include "datasets/batch_iterator.h"

#include <array>

#include "base/error.h"
#include "datasets/subsets.h"

namespace dti::datasets {
namespace {

// uint8 -> float32 in [0,1], identical to torchvision's ToTensor (x / 255).
const std::array<float, 256>& to_unit() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int v = 0; v < 256; ++v) t[static_cast<size_t>(v)] = static_cast<float>(v) / 255.0f;
    return t;
  }();
  return table;
}

}  // namespace

void BatchIteratorOptions::validate() const {
  DTI_CHECK(batch_size >= 1, "batch iterator: batch_size = ", batch_size, ", must be >= 1");
  DTI_CHECK(start_epoch >= 0, "batch iterator: start_epoch = ", start_epoch, ", must be >= 0");
  DTI_CHECK(start_batch >= 0, "batch iterator: start_batch = ", start_batch, ", must be >= 0");
  DTI_CHECK(end_epoch == 0 || end_epoch > start_epoch, "batch iterator: end_epoch = ", end_epoch,
            " must be 0 (endless) or > start_epoch = ", start_epoch);
  DTI_CHECK(prefetch >= 1 && prefetch <= 1024, "batch iterator: prefetch = ", prefetch,
            " outside 1..1024");
}

Batch load_batch(const DatasetReader& reader, const std::vector<int64_t>& indices,
                 bool load_masks) {
  const DatasetInfo& info = reader.info();
  const auto b = static_cast<int64_t>(indices.size());
  const int64_t h = info.height, w = info.width, hw = h * w;
  Batch batch;
  batch.images = at::empty({b, 3, h, w}, at::kFloat);
  batch.indices = at::empty({b}, at::kLong);
  float* images = batch.images.data_ptr<float>();
  int64_t* index_out = batch.indices.data_ptr<int64_t>();
  const auto& unit = to_unit();
  std::vector<uint8_t> pixels(static_cast<size_t>(hw * 3)), mask(static_cast<size_t>(hw));
  const bool instance = load_masks && info.has_instance_masks;
  const bool semantic = load_masks && info.has_semantic_masks;
  if (info.has_labels) batch.labels = at::empty({b}, at::kLong);
  if (instance) batch.instance_masks = at::empty({b, h, w}, at::kLong);
  if (semantic) batch.semantic_masks = at::empty({b, h, w}, at::kLong);
  for (int64_t i = 0; i < b; ++i) {
    const int64_t index = indices[static_cast<size_t>(i)];
    index_out[i] = index;
    reader.read_image(index, pixels.data());
    float* out = images + i * 3 * hw;  // [3,H,W] of image i
    for (int64_t p = 0; p < hw; ++p) {
      for (int64_t c = 0; c < 3; ++c)
        out[c * hw + p] = unit[pixels[static_cast<size_t>(3 * p + c)]];
    }
    if (info.has_labels) {
      batch.labels.data_ptr<int64_t>()[i] = reader.labels()[static_cast<size_t>(index)];
    }
    if (instance) {
      reader.read_instance_mask(index, mask.data());
      std::copy(mask.begin(), mask.end(), batch.instance_masks.data_ptr<int64_t>() + i * hw);
    }
    if (semantic) {
      reader.read_semantic_mask(index, mask.data());
      std::copy(mask.begin(), mask.end(), batch.semantic_masks.data_ptr<int64_t>() + i * hw);
    }
  }
  return batch;
}

BatchIterator::BatchIterator(std::shared_ptr<const DatasetReader> reader,
                             BatchIteratorOptions options, std::vector<int64_t> subset)
    : reader_(std::move(reader)), options_(options), items_(std::move(subset)) {
  DTI_CHECK(reader_ != nullptr, "batch iterator: no dataset reader");
  options_.validate();
  if (items_.empty()) items_ = all_images(*reader_);
  for (int64_t index : items_) {
    DTI_CHECK(index >= 0 && index < reader_->size(), "batch iterator: subset index ", index,
              " outside 0..", reader_->size() - 1, " of '", reader_->path(), "'");
  }
  const auto n = static_cast<int64_t>(items_.size());
  batches_per_epoch_ = options_.drop_last ? n / options_.batch_size
                                          : (n + options_.batch_size - 1) / options_.batch_size;
  DTI_CHECK(batches_per_epoch_ > 0, "batch iterator: ", n, " images give no batch of ",
            options_.batch_size, " with drop_last");
  DTI_CHECK(options_.start_batch < batches_per_epoch_,
            "batch iterator: start_batch = ", options_.start_batch, " but an epoch has ",
            batches_per_epoch_, " batches");
  worker_ = std::thread([this] { run(); });
}

BatchIterator::~BatchIterator() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void BatchIterator::run() {
  try {
    const auto n = static_cast<int64_t>(items_.size());
    std::vector<int64_t> indices;
    for (int64_t epoch = options_.start_epoch;
         options_.end_epoch == 0 || epoch < options_.end_epoch; ++epoch) {
      std::vector<int64_t> order;
      if (options_.shuffle) order = epoch_order(n, options_.seed, epoch);
      const int64_t first = epoch == options_.start_epoch ? options_.start_batch : 0;
      for (int64_t b = first; b < batches_per_epoch_; ++b) {
        {
          std::unique_lock<std::mutex> lock(mutex_);
          changed_.wait(lock, [this] {
            return stop_ || static_cast<int64_t>(ready_.size()) < options_.prefetch;
          });
          if (stop_) return;
        }
        const int64_t begin = b * options_.batch_size;
        const int64_t end = std::min(n, begin + options_.batch_size);
        indices.clear();
        for (int64_t k = begin; k < end; ++k) {
          const int64_t position = options_.shuffle ? order[static_cast<size_t>(k)] : k;
          indices.push_back(items_[static_cast<size_t>(position)]);
        }
        Batch batch = load_batch(*reader_, indices, options_.load_masks);
        batch.epoch = epoch;
        batch.batch = b;
        batch.last_in_epoch = b + 1 == batches_per_epoch_;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          ready_.push_back(std::move(batch));
        }
        changed_.notify_all();
      }
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    finished_ = true;
  }
  changed_.notify_all();
}

std::optional<Batch> BatchIterator::next() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [this] { return !ready_.empty() || finished_; });
  if (!ready_.empty()) {
    Batch batch = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return batch;
  }
  if (error_) std::rethrow_exception(error_);
  return std::nullopt;
}

}  // namespace dti::datasets
