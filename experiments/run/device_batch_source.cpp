#include "experiments/run/device_batch_source.h"

#include "base/error.h"
#include "datasets/subsets.h"

namespace dti::experiments {

int64_t device_dataset_bytes(const datasets::DatasetReader& reader, int64_t count) {
  return count * reader.info().image_numel();
}

DeviceBatchSource::DeviceBatchSource(const datasets::DatasetReader& reader,
                                     std::vector<int64_t> subset, int64_t batch_size, uint64_t seed,
                                     at::Device device)
    : batch_size_(batch_size), seed_(seed) {
  DTI_CHECK(batch_size >= 1, "batch size must be >= 1, got ", batch_size);
  const auto& info = reader.info();
  if (subset.empty()) {
    for (int64_t i = 0; i < info.size; ++i) subset.push_back(i);
  }
  const auto n = static_cast<int64_t>(subset.size());
  DTI_CHECK(n >= 1, reader.path(), ": no image to train on");
  auto host = at::empty({n, info.height, info.width, 3}, at::kByte);
  auto* out = host.data_ptr<uint8_t>();
  for (int64_t k = 0; k < n; ++k) {
    reader.read_image(subset[static_cast<size_t>(k)], out + k * info.image_numel());
  }
  images_ = host.to(device);  // once, for the whole run
  std::vector<float> table(256);
  for (int v = 0; v < 256; ++v) table[static_cast<size_t>(v)] = static_cast<float>(v) / 255.0f;
  lut_ = at::tensor(table, at::kFloat).to(device);
}

int64_t DeviceBatchSource::batches_per_epoch() const {
  return (images_.size(0) + batch_size_ - 1) / batch_size_;
}

void DeviceBatchSource::seek(int64_t epoch, int64_t batch) {
  epoch_ = epoch;
  batch_ = batch;
}

void DeviceBatchSource::load_order() {
  const auto order = datasets::epoch_order(images_.size(0), seed_, epoch_);
  order_ = at::tensor(order, at::kLong).to(images_.device());
  order_epoch_ = epoch_;
}

at::Tensor DeviceBatchSource::next() {
  if (batch_ == batches_per_epoch()) ++epoch_, batch_ = 0;
  if (order_epoch_ != epoch_) load_order();
  const int64_t begin = batch_++ * batch_size_;
  const int64_t count = std::min(batch_size_, images_.size(0) - begin);
  const auto picked = images_.index_select(0, order_.narrow(0, begin, count));  // [B,H,W,3]
  // The file iterator's conversion through the same table of v / 255.0f (a division by a scalar
  // tensor may run as a multiplication by its reciprocal, which differs in the last bit).
  const auto values = lut_.index_select(0, picked.reshape({-1}).to(at::kLong));
  return values.view(picked.sizes()).permute({0, 3, 1, 2}).contiguous();
}

}  // namespace dti::experiments
