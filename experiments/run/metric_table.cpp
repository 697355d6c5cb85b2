#include "experiments/run/metric_table.h"

#include <iomanip>
#include <sstream>

namespace dti::experiments {

const std::vector<MetricInfo>& metric_table() {
  // docs/evaluation.md: which protocol computes which (instance: ari, ari_fg and, with semantic
  // masks, macc, miou, seg_accuracy; clustering: accuracy, mean_class_accuracy, nmi;
  // cosegmentation: accuracy, iou, iou_fg).
  static const std::vector<MetricInfo> table = {
      {"ari_fg", "ARI-FG", true, true},
      {"ari", "ARI", true, true},
      {"macc", "mACC", true, true},
      {"miou", "mIoU", true, true},
      {"accuracy", "accuracy", true, true},
      {"nmi", "NMI", true, true},
      {"seg_accuracy", "segmentation accuracy", true, false},
      {"mean_class_accuracy", "mean class accuracy", true, false},
      {"iou", "IoU", true, false},
      {"iou_fg", "foreground IoU", true, false},
      {"loss", "loss", false, true},
      {"train_final_loss", "final training loss", false, false},
      {"eval_images", "images evaluated", false, false},
  };
  return table;
}

const MetricInfo* find_metric(const std::string& key) {
  for (const auto& m : metric_table()) {
    if (key == m.key) return &m;
  }
  return nullptr;
}

std::string format_metric(const std::string& key, double value) {
  std::ostringstream out;
  const MetricInfo* m = find_metric(key);
  if (m != nullptr && m->fraction) {
    out << std::fixed << std::setprecision(1) << 100 * value;
  } else {
    out << std::setprecision(4) << value;
  }
  return out.str();
}

std::string headline_metrics(const std::map<std::string, double>& metrics) {
  std::ostringstream out;
  out << std::setprecision(4);
  for (const auto& m : metric_table()) {
    if (!m.headline) continue;
    auto it = metrics.find(m.key);
    if (it != metrics.end()) out << (out.tellp() > 0 ? " " : "") << m.key << "=" << it->second;
  }
  return out.str();
}

std::vector<std::string> protocol_metrics(EvalProtocol protocol) {
  switch (protocol) {
    case EvalProtocol::kClustering:
      return {"accuracy", "nmi", "loss"};
    case EvalProtocol::kInstance:
      return {"ari_fg", "ari", "loss"};
    case EvalProtocol::kCosegmentation:
      return {"accuracy", "loss"};
    case EvalProtocol::kNone:
      break;
  }
  return {"loss"};
}

}  // namespace dti::experiments
