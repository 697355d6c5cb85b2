#include "experiments/run/run_preflight.h"

#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "base/error.h"
#include "base/strings.h"
#include "core/checkpoint.h"
#include "core/trainer.h"
#include "datasets/inspect.h"
#include "experiments/run/device_choice.h"

namespace dti::experiments {
namespace {

// Activations kept per sprite candidate for the backward pass (transformed sprite, mask,
// composition terms): a generous multiple, so that only absurd sizes are refused.
constexpr double kActivationCopies = 6.0;

std::string gib(double bytes) {
  return dti::detail::concat(std::round(bytes / (1024.0 * 1024.0 * 1024.0) * 10.0) / 10.0, " GiB");
}

}  // namespace

void check_data_before_training(const datasets::DatasetReader& reader,
                                const DatasetConfig& dataset) {
  const auto& info = reader.info();
  const bool masks =
      dataset.eval == EvalProtocol::kInstance || dataset.eval == EvalProtocol::kCosegmentation;
  DTI_CHECK(!masks || info.has_instance_masks, "dataset file '", reader.path(),
            "' has no "
            "instance masks, which the ",
            eval_protocol_name(dataset.eval),
            " evaluation of this run needs; convert the dataset again (runexp data convert)");
  DTI_CHECK(dataset.eval != EvalProtocol::kClustering || info.has_labels, "dataset file '",
            reader.path(), "' has no labels, which the clustering evaluation of this run needs");
  // A full read: damaged chunks and out-of-range ids fail now, not after training.
  const auto report = datasets::inspect_dataset(reader, /*show_progress=*/false);
  DTI_CHECK(report.problems.empty(), "dataset file '", reader.path(),
            "' holds values outside its layout: ", join(report.problems, "; "),
            "; re-create it (runexp data generate/convert)");
}

double estimate_training_bytes(const RunConfig& config) {
  const auto& m = config.model;
  const auto sprite = m.resolved_sprite_size();
  const double k = static_cast<double>(m.n_sprites + (m.add_empty_sprite ? 1 : 0));
  const double layers = static_cast<double>(m.n_objects);
  const double pixels = static_cast<double>(config.dataset.image_size[0]) *
                        static_cast<double>(config.dataset.image_size[1]);
  const double sprite_values = k * 4.0 * static_cast<double>(sprite[0] * sprite[1]);
  const double parameters = 4.0 * 4.0 * sprite_values;  // value, gradient, two moments
  const double activations =
      kActivationCopies * 4.0 * static_cast<double>(config.batch_size) * layers * k * 4.0 * pixels;
  return parameters + activations;
}

void check_memory_before_training(const RunConfig& config, const std::string& device,
                                  double available_bytes) {
  // A GPU's own allocator reports its limit clearly; "auto" may still mean the CPU.
  if (choose_device(device).device != "cpu") return;
  if (available_bytes < 0) {
    available_bytes =
        static_cast<double>(sysconf(_SC_PHYS_PAGES)) * static_cast<double>(sysconf(_SC_PAGESIZE));
  }
  const double needed = estimate_training_bytes(config);
  DTI_CHECK(needed <= available_bytes, "this run needs about ", gib(needed),
            " of memory (model.n_sprites = ", config.model.n_sprites,
            ", model.n_objects = ", config.model.n_objects, ", batch_size = ", config.batch_size,
            ", images ", config.dataset.image_size[0], "x", config.dataset.image_size[1],
            ") but this machine has ", gib(available_bytes),
            "; lower model.n_sprites or batch_size (--set key=value)");
}

int64_t estimate_checkpoint_bytes(const core::DtiSprites& model) {
  int64_t bytes = 0;
  for (const auto& t : core::model_tensors(model))
    bytes += t.tensor.numel() * t.tensor.element_size();
  return 3 * bytes + (1 << 20);  // Adam moments, metadata and names
}

void check_space_for_checkpoint(const std::string& checkpoint_path, int64_t checkpoint_bytes) {
  namespace fs = std::filesystem;
  const fs::path path(checkpoint_path);
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code error;
  const auto space = fs::space(folder, error);
  if (error) return;  // unknown: the write itself reports a full disk
  // At the moment of a save the latest, the previous and the temporary copy all exist; what the
  // run's checkpoints already occupy counts as available.
  double held = 0.0;
  for (const fs::path& file : {path, fs::path(core::previous_checkpoint_path(checkpoint_path))}) {
    std::error_code missing;
    const auto size = fs::file_size(file, missing);
    if (!missing) held += static_cast<double>(size);
  }
  const double needed = 3.0 * static_cast<double>(checkpoint_bytes) - held;
  DTI_CHECK(static_cast<double>(space.available) >= needed, "no space left for a checkpoint in '",
            folder.string(), "': ", space.available / (1024 * 1024), " MiB free, about ",
            static_cast<int64_t>(needed / (1024 * 1024)),
            " MiB needed (the checkpoint, the previous one kept as a fallback and the temporary "
            "copy of a save); free some space and run again");
}

bool is_no_space_error(const std::string& message) {
  return message.find("No space left") != std::string::npos ||
         message.find("no space left") != std::string::npos ||
         message.find("disk is full") != std::string::npos ||
         message.find("disk full") != std::string::npos;
}

}  // namespace dti::experiments
