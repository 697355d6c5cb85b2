#pragma once
// A small stored experiment for the report tests: one finished run with curves, sprite usage and
// PNG artifacts of every kind the report shows, written here through the public API.

#include <string>

#include "reports/image.h"
#include "reports/store.h"
#include "tests/reports/temp_dir.h"

namespace dti::reports::test {

/// The sprite's opaque colour (magenta): the screenshot test looks for it.
constexpr float kSpriteRed = 1.0f, kSpriteGreen = 0.0f, kSpriteBlue = 1.0f;

/// A 16×16 RGBA sprite: left half opaque magenta, right half fully transparent.
inline Image sprite_image() {
  Image image = Image::zeros(16, 16, 4);
  for (int y = 0; y < 16; ++y)
    for (int x = 0; x < 8; ++x) {
      image.at(y, x, 0) = kSpriteRed;
      image.at(y, x, 1) = kSpriteGreen;
      image.at(y, x, 2) = kSpriteBlue;
      image.at(y, x, 3) = 1.0f;
    }
  return image;
}

/// A flat image of one grey level.
inline Image flat_image(int size, int channels, float value) {
  Image image = Image::zeros(size, size, channels);
  for (float& v : image.data) v = value;
  return image;
}

/// What make_sample_store() created.
struct SampleStore {
  /// The store file.
  std::string path;
  /// Id of the finished run.
  int64_t run_id = 0;
  /// Number of PNG artifacts that exist (each becomes one image of the report).
  int64_t images = 0;
  /// A PNG artifact deleted after it was recorded.
  std::string deleted_artifact;
};

/// Builds experiment "table1" with one finished run (cell "tetrominoes") inside `dir`.
inline SampleStore make_sample_store(const TempDir& dir) {
  SampleStore sample;
  sample.path = dir.file("results.sqlite");
  Store store = Store::open(sample.path);
  store.ensure_experiment("table1", "Table 1 smoke run <tetrominoes>");
  RunSpec spec{"table1", "tetrominoes", "tetrominoes", "", 0, "dataset: tetrominoes\nK: 19\n",
               "test",   "1.13.1",      "cpu"};
  const int64_t id = store.start_run(spec);
  sample.run_id = id;
  for (int iteration = 0; iteration <= 1000; iteration += 100) {
    store.record_metrics(id, {{"loss", 0.05 / (1 + iteration / 100.0), iteration},
                              {"ari_fg", 0.5 + iteration / 2500.0, iteration}});
  }
  std::vector<MetricPoint> usage;
  for (int k = 0; k < 19; ++k)
    usage.push_back({"sprite_usage/" + std::to_string(k), 1.0 / (k + 2), {}});
  store.record_metrics(id, usage);

  const auto add = [&](const std::string& kind, const std::string& label, const Image& image) {
    const std::string file = dir.file("artifacts/" + kind + "_" + label + ".png");
    write_png(file, image);
    store.record_artifact(id, kind, file, label, 1000);
    ++sample.images;
  };
  add("sprites", "sprite 0", sprite_image());
  add("sprites", "sprite 1", flat_image(16, 4, 0.5f));
  add("masks", "sprite 0", flat_image(16, 1, 0.9f));
  add("backgrounds", "background 0", flat_image(35, 3, 0.2f));
  for (const std::string sample_name : {"sample 0", "sample 1"}) {
    add("input", sample_name, flat_image(35, 3, 0.3f));
    add("reconstruction", sample_name, flat_image(35, 3, 0.35f));
    add("semantic", sample_name, colorize_labels(std::vector<int32_t>(35 * 35, 2), 35, 35));
    add("instance", sample_name, colorize_labels(std::vector<int32_t>(35 * 35, 3), 35, 35));
    add("layer 0", sample_name, flat_image(35, 4, 0.6f));
  }
  const std::string checkpoint = dir.file("artifacts/model.pt");
  write_png(checkpoint + ".png", flat_image(2, 1, 0.0f));  // any bytes will do for a checkpoint
  std::filesystem::rename(checkpoint + ".png", checkpoint);
  store.record_artifact(id, "checkpoint", checkpoint);
  sample.deleted_artifact = dir.file("artifacts/gone.png");
  write_png(sample.deleted_artifact, flat_image(4, 3, 0.0f));
  store.record_artifact(id, "sprites", sample.deleted_artifact, "sprite 2", 1000);
  std::filesystem::remove(sample.deleted_artifact);
  store.finish_run(id, RunOutcome{1.5e-3, 1000, 66.0, 1 << 30});
  return sample;
}

}  // namespace dti::reports::test
