#include "datasets/subsets.h"

#include <algorithm>

#include "base/error.h"
#include "datasets/random.h"

namespace dti::datasets {

std::vector<int64_t> all_images(const DatasetReader& reader) {
  return first_images(reader, reader.size());
}

std::vector<int64_t> first_images(const DatasetReader& reader, int64_t count) {
  DTI_CHECK(count >= 0, "first_images: count ", count, " must be >= 0");
  std::vector<int64_t> out(static_cast<size_t>(std::min(count, reader.size())));
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<int64_t>(i);
  return out;
}

std::vector<int64_t> random_images(const DatasetReader& reader, int64_t count, uint64_t seed) {
  DTI_CHECK(count >= 0, "random_images: count ", count, " must be >= 0");
  if (count >= reader.size()) return all_images(reader);
  // Stream (seed, 0, 2): disjoint from the epochs' (seed, epoch, 1) and the generators' streams.
  Rng rng(stream_seed(seed, 0, 2));
  auto order = random_permutation(reader.size(), rng);
  order.resize(static_cast<size_t>(count));
  std::sort(order.begin(), order.end());
  return order;
}

std::vector<int64_t> labelled_images(const DatasetReader& reader) {
  const DatasetInfo& info = reader.info();
  DTI_CHECK(info.has_labels, "dataset file '", reader.path(), "' (", info.name,
            ") has no labels, so it has no clustering evaluation set");
  std::vector<bool> part_used(std::max<size_t>(info.part_names.size(), 1),
                              info.clustering_parts.empty());
  for (const auto& name : info.clustering_parts) {
    const auto it = std::find(info.part_names.begin(), info.part_names.end(), name);
    DTI_CHECK(it != info.part_names.end(), "dataset file '", reader.path(), "': clustering part '",
              name, "' is not one of its parts");
    part_used[static_cast<size_t>(it - info.part_names.begin())] = true;
  }
  const auto& labels = reader.labels();
  const auto& parts = reader.parts();
  std::vector<int64_t> out;
  for (int64_t i = 0; i < reader.size(); ++i) {
    const size_t part = parts.empty() ? 0 : parts[static_cast<size_t>(i)];
    if (labels[static_cast<size_t>(i)] >= 0 && part_used[part]) out.push_back(i);
  }
  return out;
}

std::vector<int64_t> epoch_order(int64_t count, uint64_t seed, int64_t epoch) {
  DTI_CHECK(count >= 0 && epoch >= 0, "epoch_order: count ", count, " and epoch ", epoch,
            " must be >= 0");
  // Stream (seed, epoch, 1): disjoint from the generators' per-image streams (seed, index, 0).
  Rng rng(stream_seed(seed, static_cast<uint64_t>(epoch), 1));
  return random_permutation(count, rng);
}

}  // namespace dti::datasets
