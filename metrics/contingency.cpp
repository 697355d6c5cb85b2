#include "metrics/contingency.h"

#include "base/error.h"

namespace dti::metrics {

namespace {

// Finds the first label outside [0, n) and throws; called only once the fast loop saw one.
void throw_first_bad_label(const char* where, const char* what, const int64_t* labels, int64_t size,
                           int64_t n, const char* hint) {
  for (int64_t i = 0; i < size; ++i) {
    if (labels[i] < 0 || labels[i] >= n) {
      throw Error(detail::concat(where, ": ", what, " expected labels in [0, ", n, "), got ",
                                 labels[i], " at index ", i, hint));
    }
  }
}

}  // namespace

void check_label_arrays(const char* where, const int64_t* truth, int64_t truth_size,
                        const int64_t* pred, int64_t pred_size) {
  DTI_CHECK(truth_size >= 0 && pred_size >= 0, where, ": label arrays expected sizes >= 0, got ",
            truth_size, " (label_true) and ", pred_size, " (label_pred)");
  DTI_CHECK(truth_size == pred_size, where,
            ": label_true and label_pred expected the same number of elements, got ", truth_size,
            " and ", pred_size);
  DTI_CHECK(truth_size == 0 || (truth != nullptr && pred != nullptr), where, ": label arrays of ",
            truth_size, " elements expected, got a null pointer");
}

void add_to_contingency(const char* where, const int64_t* truth, const int64_t* pred, int64_t size,
                        int64_t n_truth, int64_t n_pred, int64_t* counts, const char* hint) {
  DTI_CHECK(n_truth > 0 && n_pred > 0, where,
            ": numbers of labels expected > 0, got n_truth=", n_truth, " n_pred=", n_pred);
  const auto rows = static_cast<uint64_t>(n_truth);
  const auto cols = static_cast<uint64_t>(n_pred);
  // Validate first (one branch-free pass, unsigned compare catches negatives too), so a bad
  // label never leaves a half-updated table behind. The reference's bincount silently aliases
  // a predicted id >= n into the next GT row (golden README, caveat 15); we refuse instead.
  bool in_range = true;
  for (int64_t i = 0; i < size; ++i) {
    in_range &= (static_cast<uint64_t>(truth[i]) < rows) & (static_cast<uint64_t>(pred[i]) < cols);
  }
  if (!in_range) {
    throw_first_bad_label(where, "label_true", truth, size, n_truth, hint);
    throw_first_bad_label(where, "label_pred", pred, size, n_pred, hint);
  }
  for (int64_t i = 0; i < size; ++i) {
    ++counts[static_cast<uint64_t>(truth[i]) * cols + static_cast<uint64_t>(pred[i])];
  }
}

std::vector<int64_t> contingency_table(const char* where, const int64_t* truth, const int64_t* pred,
                                       int64_t size, int64_t n_truth, int64_t n_pred,
                                       const char* hint) {
  DTI_CHECK(n_truth > 0 && n_pred > 0, where,
            ": numbers of labels expected > 0, got n_truth=", n_truth, " n_pred=", n_pred);
  std::vector<int64_t> counts(static_cast<size_t>(n_truth * n_pred), 0);
  add_to_contingency(where, truth, pred, size, n_truth, n_pred, counts.data(), hint);
  return counts;
}

}  // namespace dti::metrics
