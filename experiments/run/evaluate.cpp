#include "experiments/run/evaluate.h"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <filesystem>

#include "base/error.h"
#include "datasets/batch_iterator.h"
#include "datasets/subsets.h"
#include "reports/image.h"

namespace dti::experiments {
namespace {

// Runs `fn` on batches of `indices` loaded from `reader` (masks included when needed).
template <typename Fn>
void for_batches(const datasets::DatasetReader& reader, const std::vector<int64_t>& indices,
                 int64_t batch_size, bool masks, Fn fn) {
  for (size_t start = 0; start < indices.size(); start += static_cast<size_t>(batch_size)) {
    const size_t end = std::min(indices.size(), start + static_cast<size_t>(batch_size));
    std::vector<int64_t> chunk(indices.begin() + static_cast<std::ptrdiff_t>(start),
                               indices.begin() + static_cast<std::ptrdiff_t>(end));
    fn(datasets::load_batch(reader, chunk, masks));
  }
}

// What every protocol measures besides its scores: the loss and the sprites' usage.
class Totals {
 public:
  explicit Totals(core::DtiSprites& model)
      : model_(model), counts_(static_cast<size_t>(model.num_sprites()), 0.0) {}

  // The model's decomposition of a batch, its loss and chosen sprites counted.
  core::Decomposition decompose(const at::Tensor& x) {
    auto d = model_.decompose(x);
    loss_ += d.distance.sum().item<double>();
    auto selection = d.selection.to(at::kCPU, at::kLong).contiguous();
    const int64_t* k = selection.data_ptr<int64_t>();
    for (int64_t i = 0; i < selection.numel(); ++i) counts_[static_cast<size_t>(k[i])] += 1;
    chosen_ += static_cast<double>(selection.numel());
    return d;
  }

  void finish(EvaluationResult& result) const {
    result.metrics["loss"] = result.images > 0 ? loss_ / static_cast<double>(result.images) : 0;
    result.sprite_usage = counts_;
    for (double& v : result.sprite_usage) v = chosen_ > 0 ? v / chosen_ : 0;
  }

 private:
  core::DtiSprites& model_;
  std::vector<double> counts_;
  double chosen_ = 0, loss_ = 0;
};

void evaluate_instance(core::DtiSprites& model, const datasets::DatasetReader& reader,
                       const DatasetConfig& dataset, int64_t batch_size, Totals& totals,
                       EvaluationResult& result) {
  const auto& info = reader.info();
  DTI_CHECK(info.has_instance_masks, "evaluation of ", info.name, " needs instance masks, which ",
            reader.path(), " lacks; convert the dataset again");
  const int64_t limit = dataset.eval_images > 0 ? dataset.eval_images : info.size;
  const auto indices = datasets::first_images(reader, std::min(limit, info.size));
  const bool semantic = info.has_semantic_masks;
  // n_classes 0 means "no semantic masks"; masks of a set without classes are all background.
  const int64_t n_classes = semantic ? std::max<int64_t>(info.num_classes, 1) : 0;
  InstanceScorer scorer(instance_label_ranges(model, info.max_objects, n_classes));
  for_batches(reader, indices, batch_size, true, [&](const datasets::Batch& batch) {
    auto x = batch.images.to(model.device());
    auto maps = predicted_instance_maps(model, totals.decompose(x), x, semantic);
    maps.true_instance = batch.instance_masks;
    if (semantic) maps.true_semantic = batch.semantic_masks;
    scorer.add(maps);
  });
  result.metrics = scorer.metrics();
  result.images = static_cast<int64_t>(indices.size());
}

void evaluate_clustering(core::DtiSprites& model, const datasets::DatasetReader& reader,
                         int64_t batch_size, Totals& totals, EvaluationResult& result) {
  const auto& info = reader.info();
  DTI_CHECK(info.has_labels, "clustering evaluation of ", info.name, " needs labels, which ",
            reader.path(), " lacks");
  const auto indices = datasets::labelled_images(reader);
  DTI_CHECK(!indices.empty(), reader.path(), " has no labelled image to evaluate");
  ClusteringScorer scorer(info.num_classes, model.num_sprites());
  for_batches(reader, indices, batch_size, false, [&](const datasets::Batch& batch) {
    auto d = totals.decompose(batch.images.to(model.device()));
    scorer.add(batch.labels, d.selection[0]);
  });
  result.metrics = scorer.metrics();
  result.images = static_cast<int64_t>(indices.size());
}

void evaluate_cosegmentation(core::DtiSprites& model, const datasets::DatasetReader& reader,
                             int64_t eval_images, int64_t batch_size, Totals& totals,
                             EvaluationResult& result) {
  const auto& info = reader.info();
  DTI_CHECK(info.has_instance_masks, "cosegmentation evaluation of ", info.name,
            " needs foreground masks, which ", reader.path(), " lacks");
  // Every image by default; dataset.eval_images = N scores the first N (the paper reports 327
  // Weizmann Horse images of the 328 downloaded, docs/deviations.md#data). The count is stored
  // with the run (eval_images) and printed under Table 4.
  const auto indices = eval_images > 0
                           ? datasets::first_images(reader, std::min(eval_images, reader.size()))
                           : datasets::all_images(reader);
  CosegmentationScorer scorer;
  for_batches(reader, indices, batch_size, true, [&](const datasets::Batch& batch) {
    auto d = totals.decompose(batch.images.to(model.device()));
    scorer.add(batch.instance_masks, d.masks[0]);  // the chosen sprite's transformed mask
  });
  result.metrics = scorer.metrics();
  result.images = static_cast<int64_t>(indices.size());
}

}  // namespace

InstanceLabelRanges instance_label_ranges(const core::DtiSprites& model, int64_t max_objects,
                                          int64_t n_classes) {
  InstanceLabelRanges ranges;
  ranges.n_layers = model.num_layers();
  ranges.max_objects = max_objects;
  ranges.n_sprites = model.options().n_sprites;  // the empty sprite excluded
  ranges.n_classes = n_classes;
  return ranges;
}

InstanceMaps predicted_instance_maps(const core::DtiSprites& model, const core::Decomposition& d,
                                     const at::Tensor& x, bool semantic) {
  InstanceMaps maps;
  maps.pred_instance = model.instance_labels(d, x, /*reassign_background=*/false);
  maps.pred_instance_fg = model.instance_labels(d, x, /*reassign_background=*/true);
  if (semantic) maps.pred_semantic = model.semantic_labels(d);
  return maps;
}

EvaluationResult evaluate(core::DtiSprites& model, const datasets::DatasetReader& reader,
                          const DatasetConfig& dataset, int64_t batch_size) {
  EvaluationResult result;
  Totals totals(model);
  if (dataset.eval == EvalProtocol::kInstance) {
    evaluate_instance(model, reader, dataset, batch_size, totals, result);
  } else if (dataset.eval == EvalProtocol::kClustering) {
    evaluate_clustering(model, reader, batch_size, totals, result);
  } else if (dataset.eval == EvalProtocol::kNone) {
    // Own images without annotations: the loss and sprite usage over (at most eval_images of)
    // every image.
    const int64_t limit = dataset.eval_images > 0 ? dataset.eval_images : reader.size();
    const auto indices = datasets::first_images(reader, std::min(limit, reader.size()));
    for_batches(reader, indices, batch_size, false, [&](const datasets::Batch& batch) {
      totals.decompose(batch.images.to(model.device()));
    });
    result.images = static_cast<int64_t>(indices.size());
  } else {
    evaluate_cosegmentation(model, reader, dataset.eval_images, batch_size, totals, result);
  }
  totals.finish(result);
  return result;
}

reports::Image to_image(const at::Tensor& chw) {
  auto t = chw.detach().to(at::kCPU, at::kFloat).clamp(0, 1);
  if (t.dim() == 2) t = t.unsqueeze(0);
  t = t.permute({1, 2, 0}).contiguous();
  reports::Image img;
  img.height = static_cast<int>(t.size(0));
  img.width = static_cast<int>(t.size(1));
  img.channels = static_cast<int>(t.size(2));
  img.data.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  return img;
}

namespace {

reports::Image label_image(const at::Tensor& labels) {
  auto t = labels.to(at::kCPU, at::kInt).contiguous();
  std::vector<int32_t> v(t.data_ptr<int32_t>(), t.data_ptr<int32_t>() + t.numel());
  return reports::colorize_labels(v, static_cast<int>(t.size(0)), static_cast<int>(t.size(1)));
}

}  // namespace

std::vector<ArtifactFile> write_artifacts(core::DtiSprites& model,
                                          const datasets::DatasetReader& reader,
                                          const std::string& dir, int64_t samples) {
  c10::NoGradGuard no_grad;
  std::filesystem::create_directories(dir);
  std::vector<ArtifactFile> files;
  auto add = [&](const std::string& kind, const std::string& name, const reports::Image& image,
                 const std::string& label) {
    const std::string path = dir + "/" + name + ".png";
    reports::write_png(path, image);
    files.push_back({kind, path, label});
  };
  auto protos = model.prototypes(), masks = model.masks();
  for (int64_t k = 0; k < protos.size(0); ++k) {
    auto rgba = at::cat({protos[k], masks[k]}, 0);
    add("sprites", "sprite_" + std::to_string(k), reports::compose_checkerboard(to_image(rgba)),
        "sprite " + std::to_string(k));
    add("masks", "mask_" + std::to_string(k), to_image(masks[k]), "mask " + std::to_string(k));
  }
  auto bkgs = model.backgrounds();
  for (int64_t m = 0; bkgs.defined() && m < bkgs.size(0); ++m) {
    add("backgrounds", "background_" + std::to_string(m), to_image(bkgs[m]),
        "background " + std::to_string(m));
  }
  const int64_t n = std::min<int64_t>(samples, reader.size());
  if (n == 0) return files;
  std::vector<int64_t> indices(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) indices[static_cast<size_t>(i)] = i;
  auto batch = datasets::load_batch(reader, indices, /*load_masks=*/false);
  auto x = batch.images.to(model.device());
  auto d = model.decompose(x);
  auto semantic = model.semantic_labels(d);
  auto instance = model.instance_labels(d, x, false);
  for (int64_t b = 0; b < n; ++b) {
    const std::string label = "sample " + std::to_string(b);
    const std::string stem = "sample_" + std::to_string(b);
    add("input", stem + "_input", to_image(x[b]), label);
    add("reconstruction", stem + "_reconstruction", to_image(d.reconstruction[b]), label);
    add("semantic", stem + "_semantic", label_image(semantic[b]), label);
    add("instance", stem + "_instance", label_image(instance[b]), label);
    for (int64_t l = 0; l < d.layers.size(0); ++l) {
      auto rgba = at::cat({d.layers[l][b].clamp(0, 1), d.masks[l][b].clamp(0, 1)}, 0);
      add("layer" + std::to_string(l), stem + "_layer" + std::to_string(l),
          reports::compose_checkerboard(to_image(rgba)), label);
    }
  }
  return files;
}

}  // namespace dti::experiments
