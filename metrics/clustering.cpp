#include "metrics/clustering.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "base/error.h"
#include "metrics/contingency.h"
#include "metrics/hungarian.h"

namespace dti::metrics {

namespace {

// sklearn's entropy(labels) from the label counts: 0 for a single label.
double entropy(const std::vector<double>& counts) {
  if (counts.size() == 1) return 0.0;
  double total = 0.0;
  for (const double c : counts) total += c;
  const double log_total = std::log(total);
  double h = 0.0;
  for (const double c : counts) h += (c / total) * (std::log(c) - log_total);
  return -h;
}

// Replaces every id by its rank among the distinct ids; returns the number of distinct ids.
int64_t densify(const std::vector<int64_t>& labels, std::vector<int64_t>* dense) {
  std::vector<int64_t> ids = labels;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  dense->resize(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    (*dense)[i] = std::lower_bound(ids.begin(), ids.end(), labels[i]) - ids.begin();
  }
  return static_cast<int64_t>(ids.size());
}

// The reference's compute_confusion_matrix mapping: Hungarian when the counts match, else each
// cluster to its arg-max class (np.argmax keeps the first maximum).
std::vector<int64_t> map_clusters(const std::vector<int64_t>& raw, int64_t n_classes,
                                  int64_t n_clusters) {
  std::vector<int64_t> class_of_cluster(n_clusters, 0);
  if (n_classes == n_clusters) {
    const std::vector<double> weights(raw.begin(), raw.end());
    // linear_sum_assignment(-matrix)[1]: the cluster given to each class.
    const std::vector<int64_t> cluster_of_class =
        linear_sum_assignment(weights, n_classes, n_clusters, Objective::kMaximize);
    for (int64_t c = 0; c < n_classes; ++c) class_of_cluster[cluster_of_class[c]] = c;
    return class_of_cluster;
  }
  for (int64_t k = 0; k < n_clusters; ++k) {
    int64_t best = 0;
    for (int64_t c = 1; c < n_classes; ++c) {
      if (raw[c * n_clusters + k] > raw[best * n_clusters + k]) best = c;
    }
    class_of_cluster[k] = best;
  }
  return class_of_cluster;
}

}  // namespace

namespace {

// One non-zero cell of a contingency table.
struct Cell {
  int64_t row;
  int64_t col;
  int64_t count;
};

// sklearn's normalized_mutual_info_score from the non-zero cells and the label totals (only
// labels that occur count, as sklearn builds its table from np.unique).
double nmi_from_cells(const std::vector<Cell>& cells, const std::vector<int64_t>& row_sums,
                      const std::vector<int64_t>& col_sums) {
  std::vector<double> class_counts, cluster_counts;
  int64_t total = 0;
  for (const int64_t n : row_sums) {
    if (n > 0) class_counts.push_back(static_cast<double>(n));
    total += n;
  }
  for (const int64_t n : col_sums) {
    if (n > 0) cluster_counts.push_back(static_cast<double>(n));
  }
  DTI_CHECK(total > 0, "normalized_mutual_information: expected at least one sample, got 0");
  // sklearn: one label on both sides is a perfect (if trivial) match.
  if (class_counts.size() == 1 && cluster_counts.size() == 1) return 1.0;
  // mutual_info_score: a single label on one side means MI = 0, hence NMI = 0.
  if (class_counts.size() == 1 || cluster_counts.size() == 1) return 0.0;
  // sklearn's expression term by term over the non-zero cells, including its rounding guard
  // (terms below machine epsilon are zeroed) and the clip at 0.
  const double n_total = static_cast<double>(total);
  const double log_total = std::log(n_total);
  const double eps = std::numeric_limits<double>::epsilon();
  double mi = 0.0;
  for (const Cell& cell : cells) {
    const double nz = static_cast<double>(cell.count);
    const double share = nz / n_total;
    const double outer =
        static_cast<double>(row_sums[cell.row]) * static_cast<double>(col_sums[cell.col]);
    const double log_outer = -std::log(outer) + log_total + log_total;
    const double term = share * (std::log(nz) - log_total) + share * log_outer;
    if (std::abs(term) >= eps) mi += term;
  }
  mi = std::max(mi, 0.0);
  if (mi == 0.0) return 0.0;
  // average_method='arithmetic': the normaliser is the mean of the two entropies.
  const double normalizer = 0.5 * (entropy(class_counts) + entropy(cluster_counts));
  return mi / normalizer;
}

}  // namespace

double normalized_mutual_information(const std::vector<int64_t>& contingency, int64_t rows,
                                     int64_t cols) {
  DTI_CHECK(rows >= 0 && cols >= 0 && static_cast<int64_t>(contingency.size()) == rows * cols,
            "normalized_mutual_information: contingency expected ", rows, "x", cols, " = ",
            rows * cols, " counts, got ", contingency.size());
  std::vector<int64_t> row_sums(rows, 0), col_sums(cols, 0);
  std::vector<Cell> cells;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const int64_t n = contingency[r * cols + c];
      DTI_CHECK(n >= 0, "normalized_mutual_information: counts expected >= 0, got ", n, " at row ",
                r, ", column ", c);
      if (n == 0) continue;
      row_sums[r] += n;
      col_sums[c] += n;
      cells.push_back({r, c, n});
    }
  }
  return nmi_from_cells(cells, row_sums, col_sums);
}

double normalized_mutual_information(const std::vector<int64_t>& truth,
                                     const std::vector<int64_t>& pred) {
  check_label_arrays("normalized_mutual_information", truth.data(),
                     static_cast<int64_t>(truth.size()), pred.data(),
                     static_cast<int64_t>(pred.size()));
  DTI_CHECK(!truth.empty(), "normalized_mutual_information: expected at least one sample, got 0");
  for (size_t i = 0; i < truth.size(); ++i) {
    DTI_CHECK(truth[i] >= 0 && pred[i] >= 0,
              "normalized_mutual_information: labels expected >= 0, got ", truth[i],
              " (label_true) and ", pred[i], " (label_pred) at index ", i);
  }
  // Sparse table: any number of distinct ids, without a rows x cols allocation.
  std::vector<int64_t> dense_truth, dense_pred;
  const int64_t rows = densify(truth, &dense_truth);
  const int64_t cols = densify(pred, &dense_pred);
  std::vector<std::pair<int64_t, int64_t>> pairs(truth.size());
  for (size_t i = 0; i < truth.size(); ++i) pairs[i] = {dense_truth[i], dense_pred[i]};
  std::sort(pairs.begin(), pairs.end());
  std::vector<int64_t> row_sums(rows, 0), col_sums(cols, 0);
  std::vector<Cell> cells;
  for (size_t i = 0; i < pairs.size();) {
    size_t j = i;
    while (j < pairs.size() && pairs[j] == pairs[i]) ++j;
    const auto count = static_cast<int64_t>(j - i);
    cells.push_back({pairs[i].first, pairs[i].second, count});
    row_sums[pairs[i].first] += count;
    col_sums[pairs[i].second] += count;
    i = j;
  }
  return nmi_from_cells(cells, row_sums, col_sums);
}

ClusteringScores clustering_scores(const int64_t* truth, const int64_t* pred, int64_t size,
                                   int64_t n_classes, int64_t n_clusters) {
  check_label_arrays("clustering_scores", truth, size, pred, size);
  DTI_CHECK(size > 0, "clustering_scores: expected at least one sample, got 0");
  DTI_CHECK(n_classes >= 1 && n_clusters >= 1,
            "clustering_scores: expected n_classes >= 1 and n_clusters >= 1, got ", n_classes,
            " and ", n_clusters);
  ClusteringScores scores;
  scores.n_classes = n_classes;
  scores.n_clusters = n_clusters;
  scores.confusion_raw =
      contingency_table("clustering_scores", truth, pred, size, n_classes, n_clusters,
                        "; class ids must lie below n_classes and cluster ids below n_clusters");
  scores.nmi = normalized_mutual_information(scores.confusion_raw, n_classes, n_clusters);
  scores.class_of_cluster = map_clusters(scores.confusion_raw, n_classes, n_clusters);

  scores.confusion_mapped.assign(n_classes * n_classes, 0);
  for (int64_t r = 0; r < n_classes; ++r) {
    for (int64_t k = 0; k < n_clusters; ++k) {
      const int64_t c = scores.class_of_cluster[k];
      scores.confusion_mapped[r * n_classes + c] += scores.confusion_raw[r * n_clusters + k];
    }
  }
  // acc = trace / total; acc_by_class = diag / row sum (NaN without samples); avg_acc is its
  // mean with NaN read as 0 (np.nan_to_num), all as the reference.
  int64_t matched = 0;
  scores.class_accuracy.resize(n_classes);
  double accuracy_sum = 0.0;
  for (int64_t r = 0; r < n_classes; ++r) {
    int64_t row_sum = 0;
    for (int64_t c = 0; c < n_classes; ++c) row_sum += scores.confusion_mapped[r * n_classes + c];
    const int64_t diagonal = scores.confusion_mapped[r * n_classes + r];
    matched += diagonal;
    scores.class_accuracy[r] = row_sum > 0 ? static_cast<double>(diagonal) / row_sum
                                           : std::numeric_limits<double>::quiet_NaN();
    if (row_sum > 0) accuracy_sum += scores.class_accuracy[r];
  }
  scores.global_accuracy = static_cast<double>(matched) / static_cast<double>(size);
  scores.mean_class_accuracy = accuracy_sum / static_cast<double>(n_classes);
  return scores;
}

ClusteringScores clustering_scores(const std::vector<int64_t>& truth,
                                   const std::vector<int64_t>& pred, int64_t n_classes,
                                   int64_t n_clusters) {
  check_label_arrays("clustering_scores", truth.data(), static_cast<int64_t>(truth.size()),
                     pred.data(), static_cast<int64_t>(pred.size()));
  return clustering_scores(truth.data(), pred.data(), static_cast<int64_t>(truth.size()), n_classes,
                           n_clusters);
}

}  // namespace dti::metrics
