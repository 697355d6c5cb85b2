#include "experiments/config/paper_model_options.h"

#include <algorithm>

#include "base/error.h"
#include "base/strings.h"
#include "experiments/config/config.h"

namespace dti::experiments {
namespace {

RunConfig paper_config(const std::string& dataset) {
  const auto names = paper_datasets();
  if (std::find(names.begin(), names.end(), dataset) == names.end()) {
    throw Error("unknown dataset '" + dataset + "'; valid: " + join(names));
  }
  return load_config(resolve_config_path(dataset));
}

}  // namespace

std::vector<std::string> paper_datasets() {
  return {"tetrominoes", "multi_dsprites", "clevr6", "gtsrb8", "svhn", "weizmann_horse"};
}

core::ModelOptions paper_model_options(const std::string& dataset) {
  return paper_config(dataset).model;
}

int64_t paper_batch_size(const std::string& dataset) { return paper_config(dataset).batch_size; }

int64_t first_active_epoch(const core::ModelOptions& o) {
  int64_t epoch = o.freeze_sprite;
  for (const auto* milestones :
       {&o.curriculum_learning, &o.curriculum_learning_layer, &o.curriculum_learning_bkg}) {
    for (int64_t m : *milestones) epoch = std::max(epoch, m);
  }
  return epoch;
}

}  // namespace dti::experiments
