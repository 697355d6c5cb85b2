#include "experiments/run/tensorboard_run.h"

#include <c10/core/GradMode.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <ostream>

#include "base/error.h"
#include "datasets/batch_iterator.h"
#include "experiments/run/evaluate.h"
#include "reports/image.h"

namespace dti::experiments {
namespace {

// Sprite and mask images per run while training (at progress reports), besides the final ones.
constexpr int64_t kImageSnapshots = 20;
// Inputs shown beside their reconstructions at the end.
constexpr int64_t kReconstructions = 4;
// The learning-rate groups of the trainer, in order (core/trainer.h: {sprites, networks}).
const char* const kLrGroups[] = {"sprites", "networks"};

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  return name;
}

// A name no earlier file of the folder has: two writers of one process within a second (a test,
// or a run retried at once) get ".1", ".2", ... rather than truncating the first one's file.
std::string events_path(const std::string& dir) {
  const auto seconds = static_cast<int64_t>(now_seconds());
  const std::string stem = dir + "/events.out.tfevents." + std::to_string(seconds) + "." +
                           host_name() + "." + std::to_string(getpid());
  std::string path = stem;
  for (int n = 1; std::filesystem::exists(path); ++n) path = stem + "." + std::to_string(n);
  return path;
}

// The K tensors of `images` [K,C,H,W] in a grid, `rgba` ones over a checkerboard.
reports::Image grid(const at::Tensor& images, bool checkerboard) {
  std::vector<reports::Image> tiles;
  for (int64_t k = 0; k < images.size(0); ++k) {
    auto image = to_image(images[k]);
    tiles.push_back(checkerboard ? reports::compose_checkerboard(image) : image);
  }
  const int columns = static_cast<int>(std::min<int64_t>(images.size(0), 10));
  return reports::tile_images(tiles, columns);
}

}  // namespace

TensorboardWriter::TensorboardWriter(const std::string& dir, int64_t start_step)
    : path_((std::filesystem::create_directories(dir), events_path(dir))),
      file_(path_, /*gzip=*/false) {  // TensorBoard reads plain TFRecord files only
  file_.write(reports::file_version_event(now_seconds()));
  if (start_step > 0) file_.write(reports::session_start_event(now_seconds(), start_step));
  file_.flush();
}

void TensorboardWriter::write(int64_t step, const std::vector<reports::TensorboardValue>& values) {
  file_.write(reports::summary_event(now_seconds(), step, values));
  file_.flush();
}

void TensorboardWriter::scalars(int64_t step,
                                const std::vector<std::pair<std::string, double>>& values) {
  std::vector<reports::TensorboardValue> encoded;
  for (const auto& [tag, value] : values) encoded.push_back(reports::scalar_value(tag, value));
  write(step, encoded);
}

RunTensorboard::RunTensorboard(const std::string& run_dir, int64_t start_iteration,
                               const core::DtiSprites& model, std::ostream& log, std::string tag)
    : model_(model), log_(log), tag_(std::move(tag)), next_images_(start_iteration) {
  guarded([&] { writer_ = std::make_unique<TensorboardWriter>(run_dir, start_iteration); });
}

template <class Write>
void RunTensorboard::guarded(Write&& write) {
  try {
    write();
  } catch (const std::exception& e) {
    // The curves are a view of the run, not the run: training and the store go on.
    log_ << tag_ << ": TensorBoard events: " << e.what() << "; no more events for this run"
         << std::endl;
    writer_.reset();
  }
}

void RunTensorboard::write_sprite_images(int64_t step) {
  c10::NoGradGuard no_grad;
  const auto masks = model_.masks();
  std::vector<reports::TensorboardValue> values;
  values.push_back(
      reports::image_value("sprites", grid(at::cat({model_.prototypes(), masks}, 1), true)));
  values.push_back(reports::image_value("masks", grid(masks, false)));
  const auto backgrounds = model_.backgrounds();
  if (backgrounds.defined() && backgrounds.size(0) > 0)
    values.push_back(reports::image_value("backgrounds", grid(backgrounds, false)));
  writer_->write(step, values);
}

void RunTensorboard::progress(const core::TrainProgress& p) {
  if (!writer_) return;
  guarded([&] {
    std::vector<std::pair<std::string, double>> values = {
        {"train/loss", p.loss}, {"train/images_per_second", p.images_per_second}};
    for (size_t g = 0; g < p.lr.size(); ++g) {
      const std::string group = g < std::size(kLrGroups) ? kLrGroups[g] : std::to_string(g);
      values.push_back({"train/lr_" + group, p.lr[g]});
    }
    for (size_t k = 0; k < p.sprite_usage.size(); ++k)
      values.push_back({"sprite_usage/" + std::to_string(k), p.sprite_usage[k]});
    writer_->scalars(p.iteration, values);
    if (p.iteration >= next_images_) {
      write_sprite_images(p.iteration);
      last_images_ = p.iteration;
      next_images_ = p.iteration + std::max<int64_t>(1, p.total_iterations / kImageSnapshots);
    }
  });
}

void RunTensorboard::finish(core::DtiSprites& model, const datasets::DatasetReader& reader,
                            int64_t step, const std::map<std::string, double>& metrics,
                            const std::vector<double>& sprite_usage, double final_loss) {
  if (!writer_) return;
  guarded([&] {
    std::vector<std::pair<std::string, double>> values = {{"train/final_loss", final_loss}};
    for (const auto& [name, value] : metrics) values.push_back({"eval/" + name, value});
    for (size_t k = 0; k < sprite_usage.size(); ++k)
      values.push_back({"eval/sprite_usage/" + std::to_string(k), sprite_usage[k]});
    writer_->scalars(step, values);
    if (last_images_ != step) write_sprite_images(step);  // not twice at the last report's step
    // The first images (those of the report) above their reconstructions.
    const int64_t n = std::min<int64_t>(kReconstructions, reader.size());
    if (n > 0) {
      c10::NoGradGuard no_grad;
      std::vector<int64_t> indices;
      for (int64_t i = 0; i < n; ++i) indices.push_back(i);
      const auto x =
          datasets::load_batch(reader, indices, /*load_masks=*/false).images.to(model.device());
      const auto reconstruction = model.decompose(x).reconstruction;
      writer_->write(step, {reports::image_value("reconstructions",
                                                 grid(at::cat({x, reconstruction}, 0), false))});
    }
    writer_->close();
  });
}

}  // namespace dti::experiments
