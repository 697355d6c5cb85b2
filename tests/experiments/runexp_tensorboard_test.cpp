// TensorBoard event files of real `runexp train` runs (smoke preset, seconds): read with our
// TFRecord reader, and with TensorBoard's own (EventAccumulator, via tests/reports/
// read_tfevents.py in the venv of ci/install-tensorboard.sh; skipped, saying so, without it),
// for a plain run and for a run killed after its first checkpoint and resumed.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "datasets/tfrecord.h"
#include "reports/tensorboard_event.h"
#include "tests/experiments/runexp_harness.h"

namespace dti::test {
namespace {
namespace fs = std::filesystem;

const std::string kTrain =
    "train --config tetrominoes --preset smoke --quiet --threads 1 "
    "--set training.checkpoint_interval=6 --set training.max_iterations=18";

std::vector<fs::path> event_files(const fs::path& out) {
  std::vector<fs::path> files;
  if (!fs::exists(out / "runs")) return files;
  for (const auto& e : fs::recursive_directory_iterator(out / "runs"))
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      files.push_back(e.path());
  return files;
}

// Scalar and image tags of every summary in `file`, checking that the first event is the
// file_version one.
std::pair<std::set<std::string>, std::set<std::string>> tags_of(const fs::path& file) {
  datasets::TfRecordReader reader(file.string());
  std::string record;
  std::set<std::string> scalars, images;
  bool first = true;
  while (reader.next(record)) {
    for (const auto& field : reports::parse_fields(record)) {
      if (first && field.number == 3) {
        EXPECT_EQ(field.bytes, "brain.Event:2");
      }
      if (field.number != 5) continue;
      for (const auto& value : reports::parse_fields(field.bytes)) {
        std::string tag;
        bool image = false;
        for (const auto& part : reports::parse_fields(value.bytes)) {
          if (part.number == 1) tag = part.bytes;
          if (part.number == 4) image = true;
        }
        (image ? images : scalars).insert(tag);
      }
    }
    first = false;
  }
  return {scalars, images};
}

// The python of ci/install-tensorboard.sh's venv, or "" when it has none.
std::string tensorboard_python() {
  std::string venv;
  if (const char* v = std::getenv("DTI_TENSORBOARD_VENV")) {
    venv = v;
  } else {
    const char* cache = std::getenv("XDG_CACHE_HOME");
    const char* home = std::getenv("HOME");
    venv = (cache ? std::string(cache) : std::string(home ? home : "") + "/.cache") +
           "/dtisprites/venv-tensorboard";
  }
  const std::string python = venv + "/bin/python";
  return fs::exists(python) ? python : "";
}

// read_tfevents.py on `folder`: its exit code and output.
RunexpResult read_with_tensorboard(const std::string& python, const fs::path& folder,
                                   const std::string& args) {
  const std::string command =
      "'" + python + "' '" DTI_READ_TFEVENTS "' '" + folder.string() + "' " + args + " 2>&1";
  RunexpResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  char buffer[4096];
  size_t n = 0;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const char* kScalars =
    "--scalars train/loss,train/images_per_second,train/lr_sprites,train/lr_networks,"
    "sprite_usage/0,eval/loss,eval/ari_fg,eval/sprite_usage/0,train/final_loss";
const char* kImages = "--images sprites,masks,reconstructions";

class RunexpTensorboardTest : public ScratchFolderTest {};

TEST_F(RunexpTensorboardTest, TrainWritesEventsOurReaderReadsAndNoTensorboardWritesNone) {
  auto r = runexp(kTrain + " --seed 0");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto files = event_files(dir_ / "out");
  ASSERT_EQ(files.size(), 1u);
  const auto [scalars, images] = tags_of(files[0]);
  for (const char* tag :
       {"train/loss", "train/images_per_second", "train/lr_sprites", "train/lr_networks",
        "sprite_usage/0", "eval/loss", "eval/ari_fg", "eval/sprite_usage/0", "train/final_loss"})
    EXPECT_TRUE(scalars.count(tag)) << tag;
  for (const char* tag : {"sprites", "masks", "reconstructions"})
    EXPECT_TRUE(images.count(tag)) << tag;

  r = runexp(kTrain + " --seed 1 --no-tensorboard --out quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "quiet/runs"));
  EXPECT_TRUE(event_files(dir_ / "quiet").empty());
}

TEST_F(RunexpTensorboardTest, TensorboardsOwnReaderReadsARunAndAResumedOne) {
  const std::string python = tensorboard_python();
  if (python.empty()) {
    GTEST_SKIP() << "no TensorBoard venv (run ci/install-tensorboard.sh, or set "
                    "DTI_TENSORBOARD_VENV): TensorBoard's own reader not tried";
  }
  auto r = runexp(kTrain + " --seed 0");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto run_folder = event_files(dir_ / "out").at(0).parent_path();
  auto read = read_with_tensorboard(python, run_folder, std::string(kScalars) + " " + kImages);
  EXPECT_EQ(read.code, 0) << read.output;

  // Killed after its first checkpoint (iteration 6), then resumed: two files; TensorBoard drops
  // the first process's steps from the resumed one on, so every step appears once.
  const fs::path killed = dir_ / "killed";
  fs::create_directories(killed);
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string command = "cd '" + killed.string() + "' && exec '" DTI_RUNEXP "' " + kTrain +
                                " --seed 2 > log.txt 2>&1";
    execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  bool checkpointed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!checkpointed && std::chrono::steady_clock::now() < deadline) {
    if (fs::exists(killed / "out/runs")) {
      for (const auto& e : fs::recursive_directory_iterator(killed / "out/runs"))
        checkpointed |= e.path().filename() == "checkpoint.ckpt";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(checkpointed) << "no checkpoint appeared";
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  r = run_runexp(killed, kTrain + " --seed 2");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto files = event_files(killed / "out");
  if (r.output.find("already finished") != std::string::npos) {
    GTEST_SKIP() << "the first process finished before it was killed: no resume to read";
  }
  ASSERT_EQ(files.size(), 2u);
  read =
      read_with_tensorboard(python, files[0].parent_path(), std::string(kScalars) + " " + kImages);
  EXPECT_EQ(read.code, 0) << read.output;
}

}  // namespace
}  // namespace dti::test
