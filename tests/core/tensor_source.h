#pragma once
// In-memory training batches for tests: the images of epoch e come in a permutation drawn from
// (seed, e) alone, so a resumed run sees the batches an uninterrupted one sees.

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "core/trainer.h"

namespace dti::test {

/// Whole batches of `images` [N,C,H,W]; the last incomplete batch of an epoch is dropped.
class TensorSource : public core::BatchSource {
 public:
  TensorSource(at::Tensor images, int64_t batch, uint64_t seed)
      : images_(std::move(images)), batch_(batch), seed_(seed) {}
  int64_t batches_per_epoch() const override { return images_.size(0) / batch_; }
  void seek(int64_t epoch, int64_t batch) override { epoch_ = epoch, index_ = batch; }
  at::Tensor next() override {
    if (index_ == batches_per_epoch()) ++epoch_, index_ = 0;
    auto gen =
        at::make_generator<at::CPUGeneratorImpl>(seed_ * 1000 + static_cast<uint64_t>(epoch_));
    auto order = at::randperm(images_.size(0), gen, at::kLong);
    return images_.index_select(0, order.narrow(0, index_++ * batch_, batch_));
  }

 private:
  at::Tensor images_;
  int64_t batch_, epoch_ = 0, index_ = 0;
  uint64_t seed_;
};

}  // namespace dti::test
