#pragma once
// Exact linear assignment (the Hungarian algorithm) on a dense matrix, as scipy's
// linear_sum_assignment, which the reference uses to match predicted to true classes.

#include <cstdint>
#include <vector>

namespace dti::metrics {

/// Whether an assignment minimises the total cost or maximises the total weight.
enum class Objective { kMinimize, kMaximize };

/// Optimal one-to-one assignment of the rows of a dense [rows, cols] matrix (row-major) to its
/// columns: entry r is the column given to row r, or -1 when rows > cols leaves row r unmatched.
/// min(rows, cols) pairs are always made. The optimum is exact (shortest augmenting paths,
/// O(min² · max)); among several optima the choice is deterministic but may differ from scipy's.
/// Throws dti::Error on a size mismatch or a non-finite entry.
std::vector<int64_t> linear_sum_assignment(const std::vector<double>& matrix, int64_t rows,
                                           int64_t cols, Objective objective);

/// Total of matrix[r, assignment[r]] over the matched rows.
double assignment_total(const std::vector<double>& matrix, int64_t cols,
                        const std::vector<int64_t>& assignment);

}  // namespace dti::metrics
