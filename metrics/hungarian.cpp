#include "metrics/hungarian.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "base/error.h"

namespace dti::metrics {

namespace {

// Minimum-cost assignment of every row of an n×m cost matrix (n <= m) to distinct columns, by
// successive shortest augmenting paths with dual potentials (Kuhn-Munkres in the
// Jonker-Volgenant form, O(n²m)). Each row is added with one Dijkstra-like search over the
// reduced costs; the potentials keep them non-negative, which is what makes the result exact
// rather than greedy. Returns the column of each row. Indices 1..n / 1..m; column 0 is the
// virtual start of each search.
std::vector<int64_t> solve_rows_le_cols(const std::vector<double>& cost, int64_t n, int64_t m) {
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
  std::vector<int64_t> row_of_col(m + 1, 0), way(m + 1, 0);
  std::vector<double> min_reduced(m + 1);
  std::vector<char> used(m + 1);
  auto at = [&](int64_t r, int64_t c) { return cost[(r - 1) * m + (c - 1)]; };
  for (int64_t i = 1; i <= n; ++i) {
    row_of_col[0] = i;
    int64_t col0 = 0;
    std::fill(min_reduced.begin(), min_reduced.end(), inf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[col0] = 1;
      const int64_t row0 = row_of_col[col0];
      double delta = inf;
      int64_t col1 = 0;
      for (int64_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double reduced = at(row0, j) - u[row0] - v[j];
        if (reduced < min_reduced[j]) {
          min_reduced[j] = reduced;
          way[j] = col0;
        }
        if (min_reduced[j] < delta) {
          delta = min_reduced[j];
          col1 = j;
        }
      }
      for (int64_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[row_of_col[j]] += delta;
          v[j] -= delta;
        } else {
          min_reduced[j] -= delta;
        }
      }
      col0 = col1;
    } while (row_of_col[col0] != 0);
    // Flip the augmenting path back to the start.
    do {
      const int64_t col1 = way[col0];
      row_of_col[col0] = row_of_col[col1];
      col0 = col1;
    } while (col0 != 0);
  }
  std::vector<int64_t> col_of_row(n, -1);
  for (int64_t j = 1; j <= m; ++j) {
    if (row_of_col[j] != 0) col_of_row[row_of_col[j] - 1] = j - 1;
  }
  return col_of_row;
}

}  // namespace

std::vector<int64_t> linear_sum_assignment(const std::vector<double>& matrix, int64_t rows,
                                           int64_t cols, Objective objective) {
  DTI_CHECK(rows >= 0 && cols >= 0, "linear_sum_assignment: expected rows, cols >= 0, got ", rows,
            "x", cols);
  DTI_CHECK(static_cast<int64_t>(matrix.size()) == rows * cols,
            "linear_sum_assignment: matrix expected ", rows, "x", cols, " = ", rows * cols,
            " entries, got ", matrix.size());
  for (size_t i = 0; i < matrix.size(); ++i) {
    DTI_CHECK(std::isfinite(matrix[i]),
              "linear_sum_assignment: matrix expected finite entries, got ", matrix[i], " at row ",
              static_cast<int64_t>(i) / cols, ", column ", static_cast<int64_t>(i) % cols);
  }
  if (rows == 0 || cols == 0) return std::vector<int64_t>(rows, -1);
  const double sign = objective == Objective::kMaximize ? -1.0 : 1.0;
  if (rows <= cols) {
    std::vector<double> cost(matrix.size());
    for (size_t i = 0; i < matrix.size(); ++i) cost[i] = sign * matrix[i];
    return solve_rows_le_cols(cost, rows, cols);
  }
  // More rows than columns: assign the columns to rows on the transpose, then invert.
  std::vector<double> cost(matrix.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) cost[c * rows + r] = sign * matrix[r * cols + c];
  }
  const std::vector<int64_t> row_of_col = solve_rows_le_cols(cost, cols, rows);
  std::vector<int64_t> col_of_row(rows, -1);
  for (int64_t c = 0; c < cols; ++c) col_of_row[row_of_col[c]] = c;
  return col_of_row;
}

double assignment_total(const std::vector<double>& matrix, int64_t cols,
                        const std::vector<int64_t>& assignment) {
  double total = 0.0;
  for (size_t r = 0; r < assignment.size(); ++r) {
    if (assignment[r] >= 0) total += matrix[r * cols + assignment[r]];
  }
  return total;
}

}  // namespace dti::metrics
