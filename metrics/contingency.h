#pragma once
// Dense contingency tables of two integer labelings (GT rows, predicted columns): the one place
// where every metric checks its labels, so all messages read alike.

#include <cstdint>
#include <vector>

namespace dti::metrics {

/// Throws dti::Error unless both label arrays have the same length and are readable.
/// `where` names the calling metric in the message.
void check_label_arrays(const char* where, const int64_t* truth, int64_t truth_size,
                        const int64_t* pred, int64_t pred_size);

/// Adds one count per element i to counts[truth[i] * n_pred + pred[i]] (a row-major
/// [n_truth, n_pred] table). Throws dti::Error naming `where`, the array, the valid range, the
/// first bad value and its index when a label lies outside [0, n_truth) or [0, n_pred), then
/// `hint` (what to do); the table is left unchanged in that case.
void add_to_contingency(const char* where, const int64_t* truth, const int64_t* pred, int64_t size,
                        int64_t n_truth, int64_t n_pred, int64_t* counts, const char* hint = "");

/// A fresh [n_truth, n_pred] table (row-major, GT rows) of the pairs (truth[i], pred[i]).
std::vector<int64_t> contingency_table(const char* where, const int64_t* truth, const int64_t* pred,
                                       int64_t size, int64_t n_truth, int64_t n_pred,
                                       const char* hint = "");

}  // namespace dti::metrics
