#pragma once
// Training batches gathered on the device from a copy of the training images held there as
// uint8 (converted once): no host-to-device copy of images per step, which on a GPU is a
// synchronising transfer of B·3·H·W floats every iteration. The batches are exactly those of
// the file iterator (datasets/batch_iterator.h): the same epoch order (datasets::epoch_order),
// the incomplete last batch kept, the same uint8 / 255 conversion.

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "core/trainer.h"
#include "datasets/dataset_file.h"

namespace dti::experiments {

/// Bytes the device copy of `count` images of `reader` takes (count · H · W · 3).
int64_t device_dataset_bytes(const datasets::DatasetReader& reader, int64_t count);

/// core::BatchSource over images resident on a device.
class DeviceBatchSource : public core::BatchSource {
 public:
  /// Reads the images of `subset` (file indices; empty = every image) from `reader` into one
  /// uint8 tensor on `device`; batches of `batch_size` in the order of `seed`.
  DeviceBatchSource(const datasets::DatasetReader& reader, std::vector<int64_t> subset,
                    int64_t batch_size, uint64_t seed, at::Device device);
  int64_t batches_per_epoch() const override;
  void seek(int64_t epoch, int64_t batch) override;
  /// The next batch [B,3,H,W] float32 in [0,1], on the device.
  at::Tensor next() override;

 private:
  void load_order();  // the current epoch's permutation, copied to the device once per epoch

  at::Tensor images_;  // [N,H,W,3] uint8 on the device
  at::Tensor order_;   // [N] int64 on the device: the current epoch's order
  at::Tensor lut_;     // [256] float32 on the device: v / 255
  int64_t batch_size_;
  uint64_t seed_;
  int64_t epoch_ = 0, batch_ = 0, order_epoch_ = -1;
};

}  // namespace dti::experiments
