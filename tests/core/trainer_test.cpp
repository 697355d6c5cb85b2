// Trainer: exact resumption on the CPU, the schedule, reassignment, non-finite losses, and
// checkpoint files (atomic, corruption detected).
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "core/checkpoint.h"
#include "core/trainer.h"
#include "experiments/config/paper_model_options.h"
#include "tests/core/tensor_source.h"
#include "tests/core/tiny_model.h"
#include "tests/support/expect_error.h"

namespace dti::test {
namespace {

using core::DtiSprites;

core::TrainerOptions tiny_training() {
  core::TrainerOptions t;
  t.lr = 1e-3;
  t.n_epochs = 3;
  t.milestones = {2};
  t.gamma = {1.0, 0.1};
  t.check_cluster_interval = 2;
  t.log_interval = 3;
  return t;
}

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("dti_trainer_test_" + std::to_string(::getpid()) + name))
      .string();
}

TEST(Trainer, ResumedRunEndsWithTheSameParameters) {
  at::manual_seed(0);
  auto images = at::rand({12, 3, 16, 16});
  // Uninterrupted: 3 epochs of 3 batches.
  DtiSprites straight(tiny(), 42);
  core::Trainer t1(straight, tiny_training(), 7);
  TensorSource s1(images, 4, 5);
  auto r1 = t1.train(s1);
  ASSERT_EQ(r1.iterations, 9);

  // Interrupted after 4 iterations (mid-epoch), then resumed by a fresh process state.
  const auto path = temp_path("resume.ckpt");
  {
    DtiSprites first(tiny(), 42);
    auto options = tiny_training();
    options.max_iterations = 4;
    core::Trainer t2(first, options, 7);
    t2.set_checkpoint(path);
    TensorSource s2(images, 4, 5);
    t2.train(s2);
  }
  DtiSprites resumed(tiny(), 1234);  // different initialisation: everything must come from the file
  core::Trainer t3(resumed, tiny_training(), 99);
  t3.resume(path);
  EXPECT_EQ(t3.iteration(), 4);
  TensorSource s3(images, 4, 5);
  auto r3 = t3.train(s3);
  EXPECT_EQ(r3.iterations, 9);
  auto a = straight.parameters(), b = resumed.parameters();
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(at::equal(a[i].tensor, b[i].tensor)) << a[i].name;
  }
  auto ba = straight.buffers(), bb = resumed.buffers();
  for (size_t i = 0; i < ba.size(); ++i)
    EXPECT_TRUE(at::equal(ba[i].tensor, bb[i].tensor)) << ba[i].name;
  EXPECT_DOUBLE_EQ(r1.final_loss, r3.final_loss);
  std::remove(path.c_str());
  std::remove(core::previous_checkpoint_path(path).c_str());
}

// SIGUSR1 under Slurm (experiments/launch/slurm/slurm_launcher.h): request_stop() ends training
// after the current iteration with a checkpoint, and resuming from it ends where an uninterrupted
// run does.
TEST(Trainer, StopRequestCheckpointsAndTheResumedRunEndsTheSame) {
  at::manual_seed(0);
  auto images = at::rand({12, 3, 16, 16});
  DtiSprites straight(tiny(), 42);
  core::Trainer t1(straight, tiny_training(), 7);
  TensorSource s1(images, 4, 5);
  const auto r1 = t1.train(s1);
  EXPECT_FALSE(r1.stopped);
  const auto path = temp_path("stop.ckpt");
  {
    DtiSprites first(tiny(), 42);
    core::Trainer t2(first, tiny_training(), 7);
    t2.set_checkpoint(path);
    t2.on_progress([](const core::TrainProgress& p) {
      if (p.iteration == 3) core::request_stop();  // the signal arrives mid-run
    });
    TensorSource s2(images, 4, 5);
    const auto r2 = t2.train(s2);
    core::clear_stop_request();
    EXPECT_TRUE(r2.stopped);
    EXPECT_EQ(r2.iterations, 3);
  }
  DtiSprites resumed(tiny(), 1234);
  core::Trainer t3(resumed, tiny_training(), 99);
  t3.resume(path);
  EXPECT_EQ(t3.iteration(), 3);
  TensorSource s3(images, 4, 5);
  const auto r3 = t3.train(s3);
  EXPECT_FALSE(r3.stopped);
  auto a = straight.parameters(), b = resumed.parameters();
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(at::equal(a[i].tensor, b[i].tensor)) << a[i].name;
  }
  EXPECT_DOUBLE_EQ(r1.final_loss, r3.final_loss);
  std::remove(path.c_str());
  std::remove(core::previous_checkpoint_path(path).c_str());
}

TEST(Trainer, MultiStepScheduleDecaysEachGroupByItsFactor) {
  DtiSprites model(tiny(), 1);
  auto options = tiny_training();
  options.lr = 1e-4;
  options.milestones = {100, 200};
  options.gamma = {1.0, 0.1};
  core::Trainer trainer(model, options, 1);
  EXPECT_DOUBLE_EQ(trainer.scheduled_lr(0, 99), 1e-4);
  EXPECT_DOUBLE_EQ(trainer.scheduled_lr(0, 250), 1e-4);
  EXPECT_DOUBLE_EQ(trainer.scheduled_lr(1, 99), 1e-4);
  EXPECT_NEAR(trainer.scheduled_lr(1, 100), 1e-5, 1e-18);
  EXPECT_NEAR(trainer.scheduled_lr(1, 200), 1e-6, 1e-18);
}

TEST(Trainer, UnusedSpritesAreReassignedFromTheMostUsedOne) {
  // On black images every sprite ties and the first wins: the others are never used.
  auto options = tiny();
  options.freeze_sprite = 0;
  options.inject_noise = 0;  // noise would break the ties
  DtiSprites model(options, 3);
  auto training = tiny_training();
  training.n_epochs = 1;
  core::Trainer trainer(model, training, 3);
  std::vector<core::ReassignmentEvent> events;
  trainer.on_reassignment([&](const core::ReassignmentEvent& e) { events.push_back(e); });
  TensorSource source(at::zeros({8, 3, 16, 16}), 4, 1);
  trainer.train(source);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].source, 0);
  EXPECT_EQ(events[0].reassigned, (std::vector<int64_t>{1, 2}));
}

TEST(Trainer, NonFiniteLossNamesIterationAndCheckpoint) {
  DtiSprites model(tiny(), 1);
  core::Trainer trainer(model, tiny_training(), 1);
  auto images = at::rand({8, 3, 16, 16});
  images[5].fill_(std::numeric_limits<float>::quiet_NaN());
  TensorSource source(images, 4, 0);
  const std::string message = error_message([&] { trainer.train(source); });
  EXPECT_CONTAINS(message, "the loss is NaN");
  EXPECT_CONTAINS(message, "last good checkpoint");
}

TEST(Checkpoint, CorruptionAndTruncationAreReported) {
  const auto path = temp_path("corrupt.ckpt");
  core::Checkpoint ck;
  ck.metadata["hello"] = "world";
  ck.tensors.push_back({"w", at::arange(10, at::kFloat)});
  core::save_checkpoint(path, ck);
  auto back = core::load_checkpoint(path);
  EXPECT_EQ(back.meta("hello"), "world");
  EXPECT_TRUE(at::equal(back.tensor("w"), ck.tensors[0].tensor));
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(40);
    f.put('\x7f');
  }
  EXPECT_ERROR_CONTAINS(core::load_checkpoint(path), "CRC mismatch");
  std::filesystem::resize_file(path, 20);
  EXPECT_THROW(core::load_checkpoint(path), dti::Error);
  std::remove(path.c_str());
  std::remove(core::previous_checkpoint_path(path).c_str());
  EXPECT_ERROR_CONTAINS(core::load_checkpoint(path), "not found");
}

}  // namespace
}  // namespace dti::test
