// Regression tests of reports/results/reliability.md for checkpoints and resumption: the
// previous checkpoint is kept and used when the latest is damaged (item 9), and a resumed run
// reports the same training curve as an uninterrupted one (item 5).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "core/checkpoint.h"
#include "core/trainer.h"
#include "experiments/config/paper_model_options.h"
#include "tests/core/tensor_source.h"
#include "tests/core/tiny_model.h"
#include "tests/support/expect_error.h"
#include "tests/support/scratch_dir.h"

namespace dti::test {
namespace {

namespace fs = std::filesystem;

// A scratch folder per test.
class ReliabilityTest : public ScratchDirTest {};

core::Checkpoint numbered(int value) {
  core::Checkpoint ck;
  ck.metadata["value"] = std::to_string(value);
  ck.tensors.push_back({"w", at::full({4}, value, at::kFloat)});
  return ck;
}

void flip_byte(const std::string& file, std::streamoff offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  const char c = static_cast<char>(f.get());
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x5A));
}

TEST_F(ReliabilityTest, DamagedCheckpointFallsBackToThePreviousOne) {
  const std::string ckpt = path("checkpoint.ckpt");
  core::save_checkpoint(ckpt, numbered(1));
  core::save_checkpoint(ckpt, numbered(2));
  ASSERT_TRUE(fs::exists(core::previous_checkpoint_path(ckpt)));
  std::string from, problem;
  EXPECT_EQ(core::load_checkpoint_or_previous(ckpt, &from, &problem).meta("value"), "2");
  EXPECT_EQ(from, ckpt);
  EXPECT_EQ(problem, "");

  flip_byte(ckpt, 30);
  const auto fallback = core::load_checkpoint_or_previous(ckpt, &from, &problem);
  EXPECT_EQ(fallback.meta("value"), "1");
  EXPECT_EQ(from, core::previous_checkpoint_path(ckpt));
  EXPECT_CONTAINS(problem, "CRC mismatch");

  // A kill between the two renames of a save leaves only the previous checkpoint.
  fs::remove(ckpt);
  EXPECT_EQ(core::load_checkpoint_or_previous(ckpt, &from, &problem).meta("value"), "1");

  // Neither usable: the message says what to delete, instead of "use an earlier checkpoint".
  flip_byte(core::previous_checkpoint_path(ckpt), 30);
  EXPECT_TRUE(error_contains([&] { core::load_checkpoint_or_previous(ckpt, &from, &problem); },
                             "delete " + ckpt + " and " + ckpt + ".previous"));
}

core::TrainerOptions training() {
  core::TrainerOptions t;
  t.lr = 1e-3;
  t.n_epochs = 3;
  t.check_cluster_interval = 2;
  t.log_interval = 4;         // reports at 4 and 8 ...
  t.checkpoint_interval = 3;  // ... checkpoints at 3 and 6: between two reports
  return t;
}

// Batches of TensorSource until `limit`, then throws as a kill would end the process.
class DyingSource : public TensorSource {
 public:
  DyingSource(at::Tensor images, int limit) : TensorSource(std::move(images), 4, 5), left_(limit) {}
  at::Tensor next() override {
    if (left_-- == 0) throw std::runtime_error("killed");
    return TensorSource::next();
  }

 private:
  int left_;
};

TEST_F(ReliabilityTest, ResumedRunReportsTheUninterruptedCurve) {
  at::manual_seed(0);
  const auto images = at::rand({12, 3, 16, 16});
  std::map<int64_t, double> straight_curve, resumed_curve;
  {
    core::DtiSprites model(tiny(), 42);
    core::Trainer trainer(model, training(), 7);
    trainer.on_progress(
        [&](const core::TrainProgress& p) { straight_curve[p.iteration] = p.loss; });
    TensorSource source(images, 4, 5);
    trainer.train(source);
  }
  const std::string ckpt = path("run.ckpt");
  {
    core::DtiSprites model(tiny(), 42);
    core::Trainer trainer(model, training(), 7);
    trainer.set_checkpoint(ckpt);
    trainer.on_progress([&](const core::TrainProgress& p) { resumed_curve[p.iteration] = p.loss; });
    DyingSource source(images, 7);  // killed before iteration 8: last checkpoint at 6
    EXPECT_THROW(trainer.train(source), std::runtime_error);
  }
  core::DtiSprites model(tiny(), 1234);
  core::Trainer trainer(model, training(), 99);
  trainer.resume(ckpt);
  ASSERT_EQ(trainer.iteration(), 6);
  trainer.on_progress([&](const core::TrainProgress& p) { resumed_curve[p.iteration] = p.loss; });
  TensorSource source(images, 4, 5);
  trainer.train(source);
  ASSERT_EQ(straight_curve.size(), resumed_curve.size());
  for (const auto& [iteration, loss] : straight_curve) {
    EXPECT_DOUBLE_EQ(resumed_curve[iteration], loss) << "iteration " << iteration;
  }
}

}  // namespace
}  // namespace dti::test
