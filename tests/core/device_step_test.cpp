// What the GPU path changes in a training step, checked on the CPU: losses are read from the
// device in batches (at reports, epoch ends and checkpoints) yet a NaN never reaches a checkpoint,
// and the precision options (training.precision) act only when chosen.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>

#include <filesystem>
#include <regex>

#include "core/checkpoint.h"
#include "core/precision.h"
#include "core/trainer.h"
#include "experiments/config/paper_model_options.h"
#include "tests/core/tensor_source.h"
#include "tests/core/tiny_model.h"
#include "tests/support/expect_error.h"

namespace dti::test {
namespace {

using core::DtiSprites;

core::TrainerOptions training() {
  core::TrainerOptions t;
  t.lr = 1e-3;
  t.n_epochs = 4;
  t.check_cluster_interval = 2;
  t.log_interval = 100;  // no report before the end: only checkpoints read the losses
  t.checkpoint_interval = 1;
  return t;
}

// The loss turns NaN at some step; the trainer finds it when it reads the pending losses before
// the next checkpoint, so the file on disk still holds the step before, with finite parameters.
TEST(DeviceStep, NonFiniteLossIsFoundBeforeTheNextCheckpoint) {
  const auto ckpt = (std::filesystem::temp_directory_path() /
                     ("dti_device_step_" + std::to_string(::getpid()) + ".ckpt"))
                        .string();
  at::manual_seed(0);
  auto images = at::rand({8, 3, 16, 16});
  images[5].fill_(std::numeric_limits<float>::quiet_NaN());
  DtiSprites model(tiny(), 1);
  core::Trainer trainer(model, training(), 1);
  trainer.set_checkpoint(ckpt);
  TensorSource source(images, 4, 0);
  const std::string message = error_message([&] { trainer.train(source); });
  std::smatch m;
  ASSERT_TRUE(std::regex_search(message, m, std::regex("the loss is NaN at iteration (\\d+)")))
      << message;
  const int64_t bad = std::stoll(m[1]);
  EXPECT_CONTAINS(message, "last good checkpoint");
  if (bad == 1) {
    EXPECT_FALSE(std::filesystem::exists(ckpt)) << "a checkpoint was written after a NaN step";
    return;
  }
  auto back = core::load_checkpoint(ckpt);
  EXPECT_EQ(std::stoll(back.meta("iteration")), bad - 1);
  for (const auto& t : back.tensors) {
    if (!t.tensor.is_floating_point()) continue;
    EXPECT_TRUE(at::isfinite(t.tensor).all().item<bool>()) << t.name;
  }
  std::filesystem::remove(ckpt);
}

TEST(Precision, NamesRoundTripAndUnknownOnesAreRefused) {
  for (const auto* name : {"fp32", "tf32", "bf16"}) {
    EXPECT_EQ(core::precision_name(core::parse_precision(name)), name);
  }
  EXPECT_ERROR_CONTAINS(core::parse_precision("fp16"), "valid: fp32, tf32, bf16");
}

TEST(Precision, Tf32SwitchesFollowTheOption) {
  core::apply_matmul_precision(core::Precision::kTf32);
  EXPECT_TRUE(at::globalContext().allowTF32CuBLAS());
  core::apply_matmul_precision(core::Precision::kFp32);
  EXPECT_FALSE(at::globalContext().allowTF32CuBLAS());
  EXPECT_FALSE(at::globalContext().allowTF32CuDNN());
}

// Three steps from the same state: fp32 twice is bit-identical, bf16 lands near (the forward
// pass's convolutions and matmuls in bfloat16, 8-bit mantissa) but not on it. The first step alone
// would not show it: the predictors' last layers start at zero (identity transformations), so the
// encoder's rounding cannot reach the first loss.
double third_step_loss(core::Precision precision) {
  at::manual_seed(3);
  auto images = at::rand({12, 3, 16, 16});
  DtiSprites model(tiny(), 5);
  auto options = training();
  options.checkpoint_interval = 0;
  options.max_iterations = 3;
  options.precision = precision;
  core::Trainer trainer(model, options, 2);
  double loss = 0;
  trainer.on_step([&](const at::Tensor& l, const at::Tensor&) { loss = l.item<double>(); });
  TensorSource source(images, 4, 0);
  trainer.train(source);
  return loss;
}

TEST(Precision, Bf16AutocastChangesTheStepSlightlyAndOnlyWhenChosen) {
  const double fp32 = third_step_loss(core::Precision::kFp32);
  EXPECT_EQ(third_step_loss(core::Precision::kFp32), fp32);
  EXPECT_EQ(third_step_loss(core::Precision::kTf32), fp32);  // no TF32 on a CPU
  const double bf16 = third_step_loss(core::Precision::kBf16);
  EXPECT_NE(bf16, fp32);
  EXPECT_NEAR(bf16, fp32, 0.05 * fp32);
  // The scope restores autocast when it ends.
  {
    core::AutocastScope scope(core::Precision::kBf16, at::Device(at::kCPU));
    EXPECT_EQ(at::rand({2, 2}).matmul(at::rand({2, 2})).scalar_type(), at::kBFloat16);
  }
  EXPECT_EQ(at::rand({2, 2}).matmul(at::rand({2, 2})).scalar_type(), at::kFloat);
}

// Under bf16 autocast the predicted parameters are bfloat16: the projective and affine modules
// (Multi-dSprites, GTSRB-8) and the greedy selection take them (LibTorch 1.13's CPU eye() once
// refused bfloat16, and the selection's fused kernel reads float32).
TEST(Precision, Bf16RunsTheProjectiveAndAffineModulesAndTheSelection) {
  for (const char* sequence : {"color_projective", "color_affine"}) {
    auto o = tiny();
    o.transformation_sequence = sequence;
    DtiSprites model(o, 2);
    model.set_epoch(1000);  // every module active
    core::AutocastScope scope(core::Precision::kBf16, at::Device(at::kCPU));
    auto out = model.forward_train(at::rand({4, 3, 16, 16}));
    EXPECT_TRUE(std::isfinite(out.loss.item<double>())) << sequence;
  }
}

TEST(Precision, Bf16WarnsOnACpuWithoutBfloat16Arithmetic) {
  const at::Device cpu(at::kCPU);
  EXPECT_EQ(core::precision_warning(core::Precision::kFp32, cpu), "");
  EXPECT_EQ(core::precision_warning(core::Precision::kBf16, cpu).empty(), core::cpu_has_bf16());
  if (!core::cpu_has_bf16()) {
    const auto warning = core::precision_warning(core::Precision::kBf16, cpu);
    EXPECT_NE(warning.find("AVX512-BF16"), std::string::npos) << warning;
    EXPECT_NE(warning.find("train in fp32"), std::string::npos) << warning;
  }
}

}  // namespace
}  // namespace dti::test
