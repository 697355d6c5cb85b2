// The exact assignment against brute force, and the cases a greedy matching gets wrong.

#include "metrics/hungarian.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "tests/support/expect_error.h"

namespace dti::metrics {
namespace {

using test::error_contains;

// Best total over every injective map of the smaller side into the larger one.
double brute_force_best(const std::vector<double>& m, int64_t rows, int64_t cols,
                        Objective objective) {
  const bool by_rows = rows <= cols;
  const int64_t small = by_rows ? rows : cols, large = by_rows ? cols : rows;
  std::vector<int64_t> order(large);
  std::iota(order.begin(), order.end(), 0);
  double best = objective == Objective::kMaximize ? -std::numeric_limits<double>::infinity()
                                                  : std::numeric_limits<double>::infinity();
  do {
    double total = 0.0;
    for (int64_t i = 0; i < small; ++i) {
      total += by_rows ? m[i * cols + order[i]] : m[order[i] * cols + i];
    }
    best = objective == Objective::kMaximize ? std::max(best, total) : std::min(best, total);
  } while (std::next_permutation(order.begin(), order.end()));
  return best;
}

// Checks that `assignment` is injective, pairs min(rows, cols) rows, and reaches `best`.
void expect_optimal(const std::vector<double>& m, int64_t rows, int64_t cols,
                    const std::vector<int64_t>& assignment, double best) {
  ASSERT_EQ(static_cast<int64_t>(assignment.size()), rows);
  std::set<int64_t> used;
  int64_t matched = 0;
  for (const int64_t c : assignment) {
    if (c < 0) continue;
    ASSERT_LT(c, cols);
    EXPECT_TRUE(used.insert(c).second) << "column " << c << " assigned twice";
    ++matched;
  }
  EXPECT_EQ(matched, std::min(rows, cols));
  EXPECT_NEAR(assignment_total(m, cols, assignment), best, 1e-9);
}

class HungarianTest : public ::testing::Test {
 protected:
  std::mt19937_64 rng_{12345};
};

TEST_F(HungarianTest, SquareIntegerMatricesMatchBruteForce) {
  // Few distinct values make many ties: the classic trap for a greedy or buggy implementation.
  for (int64_t n = 1; n <= 7; ++n) {
    for (int trial = 0; trial < 60; ++trial) {
      std::uniform_int_distribution<int> value(0, trial % 2 == 0 ? 3 : 100);
      std::vector<double> m(n * n);
      for (double& x : m) x = value(rng_);
      for (const Objective objective : {Objective::kMaximize, Objective::kMinimize}) {
        SCOPED_TRACE(testing::Message() << "n=" << n << " trial=" << trial);
        expect_optimal(m, n, n, linear_sum_assignment(m, n, n, objective),
                       brute_force_best(m, n, n, objective));
      }
    }
  }
}

TEST_F(HungarianTest, RectangularRealMatricesMatchBruteForce) {
  std::normal_distribution<double> value(0.0, 10.0);
  for (int64_t rows = 1; rows <= 6; ++rows) {
    for (int64_t cols = 1; cols <= 6; ++cols) {
      for (int trial = 0; trial < 10; ++trial) {
        std::vector<double> m(rows * cols);
        for (double& x : m) x = value(rng_);
        for (const Objective objective : {Objective::kMaximize, Objective::kMinimize}) {
          SCOPED_TRACE(testing::Message() << rows << "x" << cols << " trial=" << trial);
          expect_optimal(m, rows, cols, linear_sum_assignment(m, rows, cols, objective),
                         brute_force_best(m, rows, cols, objective));
        }
      }
    }
  }
}

TEST_F(HungarianTest, BeatsGreedyWhereGreedyFails) {
  // Greedy takes the 10 and is left with 0 (total 10); the optimum pairs the two 9s (18).
  const std::vector<double> m = {10, 9,  //
                                 9, 0};
  const std::vector<int64_t> assignment = linear_sum_assignment(m, 2, 2, Objective::kMaximize);
  EXPECT_EQ(assignment, (std::vector<int64_t>{1, 0}));
  EXPECT_EQ(assignment_total(m, 2, assignment), 18.0);
}

TEST_F(HungarianTest, LargeCountMatricesStayExact) {
  // Counts up to 2^40: the potentials are sums of integers below 2^53, so totals are exact.
  const int64_t n = 40;
  std::uniform_int_distribution<int64_t> value(0, int64_t{1} << 40);
  std::vector<double> m(n * n);
  for (double& x : m) x = static_cast<double>(value(rng_));
  // Plant a known optimum: a permutation whose entries dominate their rows and columns.
  std::vector<int64_t> planted(n);
  std::iota(planted.begin(), planted.end(), 0);
  std::shuffle(planted.begin(), planted.end(), rng_);
  for (int64_t r = 0; r < n; ++r) m[r * n + planted[r]] = static_cast<double>(int64_t{1} << 46);
  EXPECT_EQ(linear_sum_assignment(m, n, n, Objective::kMaximize), planted);
}

TEST_F(HungarianTest, EmptyMatrices) {
  EXPECT_TRUE(linear_sum_assignment({}, 0, 0, Objective::kMaximize).empty());
  EXPECT_EQ(linear_sum_assignment({}, 3, 0, Objective::kMaximize),
            (std::vector<int64_t>{-1, -1, -1}));
}

TEST_F(HungarianTest, RejectsBadInput) {
  EXPECT_TRUE(error_contains(
      [] {
        linear_sum_assignment({1, 2, 3}, 2, 2, Objective::kMaximize);
      },
      "matrix expected 2x2 = 4 entries, got 3"));
  EXPECT_TRUE(error_contains(
      [] {
        linear_sum_assignment({1, std::nan(""), 3, 4}, 2, 2, Objective::kMaximize);
      },
      "expected finite entries, got nan at row 0, column 1"));
}

}  // namespace
}  // namespace dti::metrics
