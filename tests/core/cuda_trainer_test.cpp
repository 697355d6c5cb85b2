// GPU tests (suffix _CUDA) of training as a whole: every paper config's step agrees with the
// CPU (cuda_step.h) at the first curriculum stage and with every module on, and checkpoints move
// between devices in both directions. Skipped when LibTorch has no CUDA or no GPU is visible.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/checkpoint.h"
#include "core/model.h"
#include "core/trainer.h"
#include "experiments/config/paper_model_options.h"
#include "tests/core/cuda_step.h"
#include "tests/core/tensor_source.h"
#include "tests/core/tiny_model.h"
#include "tests/support/cuda.h"

namespace dti::test {
namespace {

// The six paper configs, at epoch 0 (first curriculum stage, sprites frozen where the config
// says) and at an epoch where every module is on.
TEST(GpuTraining, EveryPaperConfigStepMatchesCpu_CUDA) {
  DTI_SKIP_WITHOUT_CUDA();
  for (const auto& name : experiments::paper_datasets()) {
    expect_step_matches(name, 0);
    expect_step_matches(name, 10000);
  }
}

core::TrainerOptions small_training(int64_t epochs) {
  core::TrainerOptions t;
  t.lr = 1e-3;
  t.n_epochs = epochs;
  t.check_cluster_interval = 2;
  t.log_interval = 2;
  return t;
}

// Trains `epochs` epochs on `device` (resuming `from` when given), writes `to`; returns the
// model's parameters on the CPU.
std::vector<at::Tensor> train_on(const std::string& device, int64_t epochs, const std::string& from,
                                 const std::string& to) {
  at::manual_seed(0);
  auto images = at::rand({8, 3, 16, 16});
  core::DtiSprites model(tiny(), 42);
  model.to(at::Device(device));
  core::Trainer trainer(model, small_training(epochs), 7);
  if (!from.empty()) trainer.resume(from);
  trainer.set_checkpoint(to);
  TensorSource source(images, 4, 5);
  const auto result = trainer.train(source);
  EXPECT_EQ(result.iterations, epochs * 2);
  EXPECT_TRUE(std::isfinite(result.final_loss));
  std::vector<at::Tensor> out;
  for (const auto& p : model.parameters()) out.push_back(p.tensor.detach().cpu());
  return out;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("dti_cuda_trainer_" + std::to_string(::getpid()) + name))
      .string();
}

// A checkpoint written on the GPU resumes on the CPU and the reverse: the resumed model starts
// from the saved parameters and trains on, with the schedule and counters of the saved run.
TEST(GpuTraining, CheckpointsMoveBetweenDevices_CUDA) {
  DTI_SKIP_WITHOUT_CUDA();
  const auto gpu_ckpt = temp_path("gpu.ckpt"), cpu_ckpt = temp_path("cpu.ckpt");
  const auto gpu_params = train_on("cuda", 2, "", gpu_ckpt);
  {
    const auto ck = core::load_checkpoint(gpu_ckpt);
    core::DtiSprites model(tiny(), 1);
    core::copy_named(ck, core::model_tensors(model));
    const auto params = model.parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      EXPECT_TRUE(at::equal(params[i].tensor, gpu_params[i])) << params[i].name;
    }
  }
  train_on("cpu", 3, gpu_ckpt, cpu_ckpt);   // one more epoch on the CPU
  train_on("cuda", 4, cpu_ckpt, gpu_ckpt);  // and one more back on the GPU
  std::filesystem::remove(gpu_ckpt);
  std::filesystem::remove(cpu_ckpt);
}

}  // namespace
}  // namespace dti::test
