// `runexp data ...` (data_main): exit statuses, messages, outputs, and interruption.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>

#include "datasets/dataset_file.h"
#include "datasets/image_io.h"
#include "experiments/cli/data_cli.h"
#include "tests/datasets/test_util.h"
#include "tests/support/expect_error.h"

extern char** environ;

namespace dti::datasets {
namespace {

// Result of one in-process run of data_main.
struct CliRun {
  int status = -1;
  std::string out;
  std::string err;
};

CliRun run(std::vector<std::string> args) {
  args.insert(args.begin(), "data");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  std::ostringstream out, err;
  auto* old_out = std::cout.rdbuf(out.rdbuf());
  auto* old_err = std::cerr.rdbuf(err.rdbuf());
  CliRun r;
  r.status = experiments::data_main(static_cast<int>(argv.size()), argv.data());
  std::cout.rdbuf(old_out);
  std::cerr.rdbuf(old_err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

class CliTest : public test::ScratchTest {};

TEST_F(CliTest, UsageErrorsExitTwoAndListTheChoices) {
  CliRun r = run({});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "missing command");
  EXPECT_CONTAINS(r.err,
                  "generate tetrominoes|multi_dsprites|multi_dsprites2 --n N --seed S --out FILE");
  r = run({"frobnicate"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "unknown command 'frobnicate'; valid: generate, convert, inspect");
  r = run({"generate", "mnist", "--out", path("x.h5")});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err,
                  "unknown dataset 'mnist'; valid: tetrominoes, multi_dsprites, multi_dsprites2");
  r = run({"convert", "cifar", "--input", "x", "--out", path("x.h5")});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(
      r.err, "valid: tetrominoes, multi_dsprites, clevr6, svhn, gtsrb8, weizmann_horse, folder");
  r = run({"generate", "tetrominoes", "--n", "10"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "--out FILE is required");
  r = run({"generate", "tetrominoes", "--n", "ten", "--out", path("x.h5")});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "the argument ('ten') for option '--n' is invalid");
  r = run({"generate", "tetrominoes", "--bogus"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "unrecognised option '--bogus'");
  r = run({"convert", "svhn", "--input", "a.mat", "--out", path("x.h5"), "--size", "3"});
  EXPECT_EQ(r.status, 2);
  EXPECT_CONTAINS(r.err, "--labels and --size apply to 'folder' only");
  EXPECT_TRUE(files().empty());
}

TEST_F(CliTest, HelpEverywhere) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"generate", "--help"}, {"convert", "--help"}, {"inspect", "--help"}}) {
    const CliRun r = run(args);
    EXPECT_EQ(r.status, 0) << args.front();
    EXPECT_CONTAINS(r.out, "usage: runexp data");
  }
  EXPECT_CONTAINS(run({"convert", "--help"}).out,
                  "svhn            --input test_32x32.mat train_32x32.mat extra_32x32.mat");
}

TEST_F(CliTest, GenerateConvertInspect) {
  CliRun r = run(
      {"generate", "multi_dsprites2", "--n", "20", "--seed", "3", "--out", path("md2.h5"), "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.out, "wrote " + path("md2.h5") + ": 20 images of multi_dsprites2 (64x64)");
  EXPECT_EQ(DatasetReader(path("md2.h5")).info().max_objects, 2);

  r = run({"convert", "tetrominoes", "--input",
           test::fixture("tetrominoes/tetrominoes_mini.tfrecords"), "--out", path("t.h5")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.err, "note: ");                                  // fewer records than requested
  EXPECT_CONTAINS(r.err, "convert tetrominoes: 10/60,000 records");  // progress with a rate
  EXPECT_CONTAINS(r.err, "records/s");

  r = run({"inspect", path("t.h5"), "--png", path("grid.png"), "-q"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_CONTAINS(r.out, "dataset:        tetrominoes");
  EXPECT_CONTAINS(r.out, "objects/image:  3:10");
  EXPECT_CONTAINS(r.out, "all values within the layout");
  const Image grid = load_image(path("grid.png"), 3);
  EXPECT_GT(grid.width, 3 * 64);
}

TEST_F(CliTest, BadFilesExitOneWithTheMessage) {
  CliRun r = run({"inspect", path("tetrominoes.h5")});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(
      r.err,
      "does not exist. Make it with: runexp data generate tetrominoes --n 60000 --seed 0 --out " +
          path("tetrominoes.h5"));
  test::write_bytes(path("junk.tfrecords"), std::string(40, 'x'));
  r = run(
      {"convert", "tetrominoes", "--input", path("junk.tfrecords"), "--out", path("t.h5"), "-q"});
  EXPECT_EQ(r.status, 1);
  EXPECT_CONTAINS(r.err,
                  "junk.tfrecords: record 0 (uncompressed byte offset 0): length CRC-32C mismatch");
  EXPECT_EQ(files(), std::vector<std::string>{"junk.tfrecords"}) << "nothing half-made is left";
}

TEST_F(CliTest, InterruptLeavesNothingBehind) {
  const std::string out = path("big.h5");
  std::vector<std::string> args = {DTI_DATA_CLI, "generate", "multi_dsprites", "--n", "5000000",
                                   "--out",      out};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, DTI_DATA_CLI, nullptr, nullptr, argv.data(), environ), 0);
  // Wait (up to 30 s on a loaded machine) until the temporary file exists, then interrupt.
  for (int i = 0; i < 1500 && files().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_FALSE(files().empty()) << "the generator never started writing";
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  kill(pid, SIGINT);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_TRUE(files().empty()) << "found " << files().front();
}

}  // namespace
}  // namespace dti::datasets
