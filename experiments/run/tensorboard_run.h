#pragma once
// TensorBoard event files in every run folder, so that `tensorboard --logdir out/runs` shows the
// runs' curves and images beside the HTML report: training loss, throughput, learning rates and
// sprite usage while training, the evaluation metrics at the end, and images of the sprites and
// masks (about twenty times per run) and of a few reconstructions (at the end). The records are
// TensorBoard's Event messages (reports/tensorboard_event.h) in TFRecord framing
// (datasets/tfrecord.h). Off with --no-tensorboard.

#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/model.h"
#include "core/trainer.h"
#include "datasets/dataset_file.h"
#include "datasets/tfrecord.h"
#include "reports/tensorboard_event.h"

namespace dti::experiments {

/// One events file, `<dir>/events.out.tfevents.<unix time>.<host>.<pid>`: a new file per writer
/// (so per process), never appended to an earlier one, as TensorFlow does; TensorBoard reads every
/// file of the folder in order. Each write is flushed, so TensorBoard follows a running run.
class TensorboardWriter {
 public:
  /// Creates `dir` when needed and the file, and writes the file_version event; with
  /// `start_step` > 0 (a resumed run) also a session START at that step, so TensorBoard drops
  /// the interrupted process's values from that step on. Throws dti::Error when it cannot.
  TensorboardWriter(const std::string& dir, int64_t start_step);

  /// Writes `values` (scalars and images) as one event at `step`.
  void write(int64_t step, const std::vector<reports::TensorboardValue>& values);
  /// Writes scalars named by their tags as one event at `step`.
  void scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values);
  /// Flushes and closes the file; throws dti::Error when it cannot.
  void close() { file_.close(); }
  /// The events file.
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  datasets::TfRecordWriter file_;
};

/// The TensorBoard observer of one run (cell_run.cpp): what it writes at each progress report
/// and at the end. A failure to write (a full disk) is said once on `log` and ends the run's
/// events, never the run.
class RunTensorboard {
 public:
  /// Opens a new events file in `run_dir` for a run at iteration `start_iteration` (0 = fresh).
  /// `tag` starts the log line of a failure.
  RunTensorboard(const std::string& run_dir, int64_t start_iteration, const core::DtiSprites& model,
                 std::ostream& log, std::string tag);

  /// A progress report: train/loss, train/images_per_second, train/lr_<group> and
  /// sprite_usage/<k>; sprite and mask images when their turn has come (about 20 per run).
  void progress(const core::TrainProgress& p);

  /// The end of the run at iteration `step`: eval/<metric>, eval/sprite_usage/<k> and
  /// train/final_loss; sprites, masks and the first images of `reader` beside their
  /// reconstructions. Then closes the file.
  void finish(core::DtiSprites& model, const datasets::DatasetReader& reader, int64_t step,
              const std::map<std::string, double>& metrics, const std::vector<double>& sprite_usage,
              double final_loss);

  /// The events file ("" when it could not be created or a write failed).
  std::string path() const { return writer_ ? writer_->path() : ""; }

 private:
  template <class Write>
  void guarded(Write&& write);
  void write_sprite_images(int64_t step);

  std::unique_ptr<TensorboardWriter> writer_;
  const core::DtiSprites& model_;
  std::ostream& log_;
  std::string tag_;
  int64_t next_images_ = 0;   // iteration from which the next progress report writes images
  int64_t last_images_ = -1;  // step of the last sprite and mask images
};

}  // namespace dti::experiments
