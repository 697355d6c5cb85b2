#include "experiments/evaluate.h"

#include <algorithm>
#include <filesystem>

#include "base/error.h"
#include "datasets/batch_iterator.h"
#include "datasets/subsets.h"
#include "metrics/adjusted_rand.h"
#include "metrics/clustering.h"
#include "metrics/cosegmentation.h"
#include "metrics/segmentation.h"
#include "reports/image.h"

namespace dti::experiments {
namespace {

std::vector<int64_t> to_vector(const at::Tensor& t) {
  auto c = t.to(at::kCPU, at::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

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

struct Usage {
  std::vector<double> counts;
  double total = 0;
  void add(const at::Tensor& selection, int64_t K) {
    if (counts.empty()) counts.assign(static_cast<size_t>(K), 0.0);
    for (int64_t k : to_vector(selection)) counts[static_cast<size_t>(k)] += 1, total += 1;
  }
  std::vector<double> shares() const {
    std::vector<double> s = counts;
    for (double& v : s) v = total > 0 ? v / total : 0;
    return s;
  }
};

}  // namespace

EvaluationResult evaluate(core::DtiSprites& model, const datasets::DatasetReader& reader,
                          const DatasetConfig& dataset, int64_t batch_size) {
  const auto& info = reader.info();
  const at::Device device = model.device();
  const int64_t K = model.num_sprites(), L = model.num_layers();
  EvaluationResult result;
  Usage usage;
  double loss_sum = 0;

  if (dataset.eval == EvalProtocol::kInstance) {
    DTI_CHECK(info.has_instance_masks, "evaluation of ", info.name, " needs instance masks, which ",
              reader.path(), " lacks; convert the dataset again");
    const int64_t limit = dataset.eval_images > 0 ? dataset.eval_images : info.size;
    const auto indices = datasets::first_images(reader, std::min(limit, info.size));
    // Label ranges: predictions 0..L and 0..K_real, ground truth 0..max_objects and 0..C.
    metrics::AriAccumulator ari(std::max(L, info.max_objects) + 1);
    const int64_t k_real = model.options().n_sprites;
    const int64_t n_classes = std::max(info.num_classes, k_real) + 1;
    std::unique_ptr<metrics::SegmentationAccumulator> seg;
    if (info.has_semantic_masks)
      seg = std::make_unique<metrics::SegmentationAccumulator>(n_classes);
    for_batches(reader, indices, batch_size, true, [&](const datasets::Batch& batch) {
      auto x = batch.images.to(device);
      auto d = model.decompose(x);
      loss_sum += d.distance.sum().item<double>();
      usage.add(d.selection, K);
      const int64_t B = x.size(0), HW = x.size(2) * x.size(3);
      auto truth = to_vector(batch.instance_masks);
      auto pred = to_vector(model.instance_labels(d, x, /*reassign_background=*/false));
      auto pred_fg = to_vector(model.instance_labels(d, x, /*reassign_background=*/true));
      for (int64_t b = 0; b < B; ++b) {
        ari.update(truth.data() + b * HW, pred.data() + b * HW, pred_fg.data() + b * HW, HW);
      }
      if (seg) {
        // A predicted id that names no sprite class (the empty sprite, or labels summed where the
        // binarised occlusion leaves two layers unordered) counts as background.
        auto semantic = model.semantic_labels(d);
        semantic = at::where(semantic > k_real, at::zeros_like(semantic), semantic);
        auto sem_truth = to_vector(batch.semantic_masks);
        auto sem_pred = to_vector(semantic);
        seg->update(sem_truth.data(), sem_pred.data(), static_cast<int64_t>(sem_truth.size()));
      }
    });
    result.metrics["ari"] = ari.mean_ari();
    result.metrics["ari_fg"] = ari.mean_ari_foreground();
    if (seg) {
      const auto scores = seg->compute();
      result.metrics["macc"] = scores.mean_accuracy;
      result.metrics["miou"] = scores.mean_iou;
      result.metrics["seg_accuracy"] = scores.global_accuracy;
    }
    result.images = static_cast<int64_t>(indices.size());
  } else if (dataset.eval == EvalProtocol::kClustering) {
    DTI_CHECK(info.has_labels, "clustering evaluation of ", info.name, " needs labels, which ",
              reader.path(), " lacks");
    const auto indices = datasets::labelled_images(reader);
    DTI_CHECK(!indices.empty(), reader.path(), " has no labelled image to evaluate");
    std::vector<int64_t> truth, pred;
    for_batches(reader, indices, batch_size, false, [&](const datasets::Batch& batch) {
      auto x = batch.images.to(device);
      auto d = model.decompose(x);
      loss_sum += d.distance.sum().item<double>();
      usage.add(d.selection, K);
      for (int64_t v : to_vector(batch.labels)) truth.push_back(v);
      for (int64_t v : to_vector(d.selection[0])) pred.push_back(v);
    });
    const auto scores = metrics::clustering_scores(truth, pred, info.num_classes, K);
    result.metrics["accuracy"] = scores.global_accuracy;
    result.metrics["mean_class_accuracy"] = scores.mean_class_accuracy;
    result.metrics["nmi"] = scores.nmi;
    result.images = static_cast<int64_t>(indices.size());
  } else {
    DTI_CHECK(info.has_instance_masks, "cosegmentation evaluation of ", info.name,
              " needs foreground masks, which ", reader.path(), " lacks");
    const auto indices = datasets::all_images(reader);
    metrics::CosegmentationAccumulator coseg;
    for_batches(reader, indices, batch_size, true, [&](const datasets::Batch& batch) {
      auto x = batch.images.to(device);
      auto d = model.decompose(x);
      loss_sum += d.distance.sum().item<double>();
      usage.add(d.selection, K);
      // Foreground = the chosen sprite's transformed mask > 0.5 (docs/evaluation.md).
      auto truth = to_vector(batch.instance_masks > 0);
      auto pred = to_vector(d.masks[0].squeeze(1) > 0.5);
      coseg.update(truth.data(), pred.data(), static_cast<int64_t>(truth.size()));
    });
    result.metrics["accuracy"] = coseg.accuracy();
    result.images = static_cast<int64_t>(indices.size());
  }
  result.metrics["loss"] = result.images > 0 ? loss_sum / static_cast<double>(result.images) : 0;
  result.sprite_usage = usage.shares();
  return result;
}

namespace {

// [C,H,W] or [H,W] tensor in [0,1] -> HWC image.
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
