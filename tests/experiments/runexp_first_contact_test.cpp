// A new user's first contact with runexp: help on every command, the device chosen and said,
// their own folder of images trained on end to end (cluster, decompose, show), errors that say
// what a file holds, and the demo preset. The runs use the smoke preset (seconds).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "datasets/dataset_file.h"
#include "datasets/subsets.h"
#include "experiments/config/config.h"
#include "experiments/config/presets.h"
#include "experiments/run/run_summary.h"
#include "reports/image.h"
#include "reports/store.h"
#include "tests/experiments/runexp_harness.h"

namespace dti::test {
namespace {
namespace fs = std::filesystem;

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The command names runexp lists after "valid: " for an unknown command.
std::vector<std::string> listed_commands(const std::string& output) {
  const size_t start = output.find("valid: ");
  std::vector<std::string> names;
  if (start == std::string::npos) return names;
  std::stringstream in(output.substr(start + 7, output.find('\n', start) - start - 7));
  std::string name;
  while (std::getline(in, name, ',')) {
    name.erase(0, name.find_first_not_of(' '));
    names.push_back(name);
  }
  return names;
}

using FirstContact = ScratchFolderTest;

TEST_F(FirstContact, EveryCommandPrintsItsHelpAndExitsZero) {
  const auto unknown = runexp("no-such-command");
  EXPECT_EQ(unknown.code, 2);
  auto commands = listed_commands(unknown.output);
  for (const char* expected : {"train", "eval", "cluster", "decompose", "show", "table1", "fig9"})
    EXPECT_NE(std::find(commands.begin(), commands.end(), expected), commands.end()) << expected;
  for (const char* sub : {"data generate", "data convert", "data inspect"}) commands.push_back(sub);
  for (const auto& command : commands) {
    // -h, the short form, on the commands whose options have required ones and on run-cell.
    const bool short_too = command == "train" || command == "eval" || command == "run-cell";
    for (const std::string flag : {"--help", "-h"}) {
      if (flag == "-h" && !short_too) continue;
      const auto r = runexp(command + " " + flag);
      EXPECT_EQ(r.code, 0) << command << " " << flag << ":\n" << r.output;
      EXPECT_TRUE(has(r.output, "usage: runexp " + command.substr(0, command.find(' '))))
          << command << ":\n"
          << r.output;
      EXPECT_FALSE(has(r.output, "required but missing")) << command << ":\n" << r.output;
    }
  }
  EXPECT_EQ(runexp("--help").code, 0);
}

TEST_F(FirstContact, DeviceAutoIsTheDefaultAndTheHeaderSaysWhichAndWhy) {
  const auto r = runexp("eval --checkpoint missing.ckpt");
  EXPECT_TRUE(has(r.output, "device: cpu (auto: ") || has(r.output, "device: cuda (auto: "))
      << r.output;
  EXPECT_TRUE(has(runexp("eval --checkpoint missing.ckpt --device cpu").output,
                  "device: cpu (as given by --device)"));
  const auto bad = runexp("eval --checkpoint missing.ckpt --device tpu");
  EXPECT_EQ(bad.code, 2);
  EXPECT_TRUE(has(bad.output, "valid: auto, cpu, cuda, cuda:<index>")) << bad.output;
}

// A folder of 16×16 images in two class sub-folders: a red or a blue square on black.
void write_image_folder(const fs::path& root) {
  std::mt19937 rng(3);
  for (int c = 0; c < 2; ++c) {
    for (int i = 0; i < 12; ++i) {
      auto image = reports::Image::zeros(16, 16, 3);
      const int y0 = static_cast<int>(rng() % 10), x0 = static_cast<int>(rng() % 10);
      for (int y = y0; y < y0 + 6; ++y)
        for (int x = x0; x < x0 + 6; ++x) image.at(y, x, c == 0 ? 0 : 2) = 1.0f;
      reports::write_png(
          (root / (c == 0 ? "red" : "blue") / ("img" + std::to_string(i) + ".png")).string(),
          image);
    }
  }
}

TEST_F(FirstContact, OwnImagesAreClusteredDecomposedAndShown) {
  write_image_folder(dir_ / "my_images");
  auto r = runexp("data convert folder --input my_images --out mine.h5 --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  // Two seeds in child processes (run-cell finds the experiment again from its config file).
  r = runexp("cluster --data mine.h5 --sprites 2 --preset smoke --seeds 2 --jobs 2 --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "runexp cluster on ")) << r.output;
  EXPECT_TRUE(has(r.output, "| seed | status | iterations | accuracy | nmi | loss |")) << r.output;
  EXPECT_TRUE(has(r.output, "| mean ± std |")) << r.output;
  EXPECT_TRUE(fs::exists(dir_ / "out/reports/cluster/index.html"));
  const auto resolved = experiments::load_config((dir_ / "out/configs/cluster/mine.yml").string());
  EXPECT_EQ(resolved.dataset.name, "folder");
  EXPECT_EQ(resolved.dataset.image_size, (std::array<int64_t, 2>{16, 16}));
  EXPECT_EQ(resolved.dataset.eval, experiments::EvalProtocol::kClustering);
  EXPECT_EQ(resolved.model.n_sprites, 2);

  // No labels or masks are needed to decompose: the protocol is `none` (loss, sprite usage).
  r = runexp("decompose --data mine.h5 --sprites 2 --layers 2 --preset smoke --quiet");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(has(r.output, "| seed | status | iterations | loss |")) << r.output;

  auto store = reports::Store::open((dir_ / "out/results.sqlite").string());
  const auto runs = store.list_runs(reports::RunFilter("cluster", std::string("mine")));
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) EXPECT_EQ(run.status, reports::RunStatus::finished) << run.error;
  EXPECT_EQ(store.list_runs(reports::RunFilter("decompose")).size(), 1u);

  // show, by id and by folder: config differences from the shipped default, metrics, sparkline.
  const auto folder = fs::path(store.artifacts(runs[0].id, "checkpoint").at(0).path).parent_path();
  for (const auto& what : {std::to_string(runs[0].id), fs::relative(folder, dir_).string()}) {
    r = runexp("show " + what);
    ASSERT_EQ(r.code, 0) << what << ":\n" << r.output;
    EXPECT_TRUE(has(r.output, "cluster / mine seed " + std::to_string(runs[0].spec.seed)))
        << r.output;
    EXPECT_TRUE(has(r.output, "model.n_sprites: 10 → 2")) << r.output;
    EXPECT_TRUE(has(r.output, "metrics: accuracy=")) << r.output;
    EXPECT_TRUE(has(r.output, "training loss: ")) << r.output;
    EXPECT_TRUE(has(r.output, "out/reports/cluster/index.html\n")) << r.output;
  }
  EXPECT_EQ(runexp("show 9999").code, 1);
}

TEST_F(FirstContact, AnotherDatasetsFileIsRefusedWithWhatItHoldsNeverOverwritten) {
  write_image_folder(dir_ / "my_images");
  ASSERT_EQ(runexp("data convert folder --input my_images --out mine.h5 --quiet").code, 0);
  const auto r = runexp(
      "train --config gtsrb8 --preset smoke --data-dir . --set dataset.file=mine.h5 "
      "--set dataset.image_size=[16,16] --quiet");
  EXPECT_NE(r.code, 0);
  EXPECT_TRUE(has(r.output, "holds dataset 'my_images' (24 images of 16x16, labelled)"))
      << r.output;
  EXPECT_TRUE(has(r.output, "runexp cluster --data ./mine.h5")) << r.output;
  EXPECT_FALSE(has(r.output, "--out ./mine.h5")) << r.output;
  EXPECT_FALSE(has(r.output, "--out mine.h5")) << r.output;

  const auto missing = runexp("cluster --data nothing.h5 --quiet");
  EXPECT_EQ(missing.code, 1);
  EXPECT_TRUE(has(missing.output, "--data nothing.h5 does not exist")) << missing.output;
  EXPECT_TRUE(has(missing.output, "runexp data convert folder --input YOUR_IMAGES_DIR"))
      << missing.output;
}

TEST(DemoPreset, ShortensTetrominoesAndGivesOtherDatasetsTheSmokeReduction) {
  const auto tetrominoes =
      experiments::load_config(experiments::resolve_config_path("tetrominoes"), "demo", {});
  EXPECT_EQ(tetrominoes.dataset.n_images, 4000);
  EXPECT_EQ(tetrominoes.training.n_epochs, 16);
  EXPECT_EQ(tetrominoes.batch_size, 16);            // half the paper's batch: twice the steps
  EXPECT_DOUBLE_EQ(tetrominoes.training.lr, 2e-4);  // twice the paper's rate
  EXPECT_EQ(tetrominoes.model.n_sprites, 19);       // the paper's model
  const auto base = experiments::load_config(experiments::resolve_config_path("gtsrb8"));
  EXPECT_EQ(experiments::preset_overrides(base, "demo"),
            experiments::preset_overrides(base, "smoke"));
  EXPECT_TRUE(has(experiments::preset_description("demo"), "not the paper's setting"));
}

TEST(RandomSubset, IsSeededSortedDistinctAndNotTheFirstImages) {
  const auto path =
      (fs::temp_directory_path() / ("dti_subset_" + std::to_string(::getpid()) + ".h5")).string();
  {
    datasets::DatasetInfo info;
    info.name = "subset";
    info.height = info.width = 2;
    datasets::DatasetWriter writer(path, info);
    for (int i = 0; i < 40; ++i) {
      datasets::Sample sample;
      sample.image.assign(12, static_cast<uint8_t>(i));
      writer.append(sample);
    }
    writer.finish();
  }
  datasets::DatasetReader reader(path);
  const auto a = datasets::random_images(reader, 10, 0);
  ASSERT_EQ(a.size(), 10u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<int64_t>(a.begin(), a.end()).size(), 10u);
  EXPECT_GT(a.back(), 9);  // not the first ten
  EXPECT_EQ(datasets::random_images(reader, 10, 0), a);
  EXPECT_NE(datasets::random_images(reader, 10, 1), a);
  EXPECT_EQ(datasets::random_images(reader, 50, 0).size(), 40u);
  fs::remove(path);
}

TEST(RunSummary, DifferencesAndSparkline) {
  const std::string before = "dataset:\n  name: a\n  n_images: 60000\nmodel:\n  n_sprites: 19\n";
  const std::string after = "dataset:\n  name: a\n  n_images: 4000\nmodel:\n  n_sprites: 19\n";
  EXPECT_EQ(experiments::config_differences(before, after),
            (std::vector<std::string>{"dataset.n_images: 60000 → 4000"}));
  EXPECT_TRUE(experiments::config_differences(before, before).empty());
  EXPECT_EQ(experiments::sparkline({3, 2, 1, 0}), "█▆▃▁");
  EXPECT_EQ(experiments::sparkline({}), "");
  EXPECT_EQ(experiments::store_of_run_folder("/x/out/runs/table1/t/seed0-ab"),
            "/x/out/results.sqlite");
}

}  // namespace
}  // namespace dti::test
