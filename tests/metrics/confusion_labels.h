#pragma once
// Label vectors with a chosen confusion matrix, for the clustering and segmentation tests.

#include <cstdint>
#include <vector>

namespace dti::test {

/// Samples (or flat label-map pixels) whose [truth, prediction] confusion counts are `confusion`
/// (truth rows, predicted columns), appended to `truth` and `pred`.
inline void labels_from_confusion(const std::vector<std::vector<int64_t>>& confusion,
                                  std::vector<int64_t>* truth, std::vector<int64_t>* pred) {
  for (size_t r = 0; r < confusion.size(); ++r) {
    for (size_t c = 0; c < confusion[r].size(); ++c) {
      for (int64_t i = 0; i < confusion[r][c]; ++i) {
        truth->push_back(static_cast<int64_t>(r));
        pred->push_back(static_cast<int64_t>(c));
      }
    }
  }
}

}  // namespace dti::test
