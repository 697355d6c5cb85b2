#pragma once
// Clustering scores (paper Table 3, docs/evaluation.md), as the reference's Scores class computes:
// NMI, global accuracy after matching clusters to classes, mean and per-class accuracy.

#include <cstdint>
#include <vector>

namespace dti::metrics {

/// Scores of one clustering of a labelled set.
struct ClusteringScores {
  int64_t n_classes = 0;   ///< Ground-truth classes (rows of the confusion matrices).
  int64_t n_clusters = 0;  ///< Predicted clusters (columns of confusion_raw).
  /// Normalised mutual information, sklearn's with arithmetic averaging, in [0, 1].
  double nmi = 0.0;
  /// Share of samples whose cluster maps to their class, in [0, 1].
  double global_accuracy = 0.0;
  /// Mean over classes of class_accuracy, a class without samples counting 0.
  double mean_class_accuracy = 0.0;
  /// Per class: matched samples / samples of the class; NaN for a class without samples.
  std::vector<double> class_accuracy;
  /// Class each cluster is mapped to, [n_clusters] (an empty cluster goes to class 0).
  std::vector<int64_t> class_of_cluster;
  /// Counts [n_classes, n_clusters], row-major, GT rows.
  std::vector<int64_t> confusion_raw;
  /// Counts [n_classes, n_classes] after the mapping: column j sums the clusters mapped to j.
  std::vector<int64_t> confusion_mapped;
};

/// Scores of `size` samples, truth in [0, n_classes), pred in [0, n_clusters). Mapping as the
/// reference: with n_clusters == n_classes the Hungarian assignment maximising matched samples;
/// otherwise every cluster goes to its majority class (the lowest class index on a tie) and the
/// clusters of one class are summed, so a class may get no cluster. Throws on empty input.
ClusteringScores clustering_scores(const int64_t* truth, const int64_t* pred, int64_t size,
                                   int64_t n_classes, int64_t n_clusters);
/// Vector form of clustering_scores.
ClusteringScores clustering_scores(const std::vector<int64_t>& truth,
                                   const std::vector<int64_t>& pred, int64_t n_classes,
                                   int64_t n_clusters);

/// sklearn.metrics.normalized_mutual_info_score(truth, pred, average_method='arithmetic') of
/// two labelings with non-negative ids (any range); 1.0 when both have a single label.
/// Throws on empty input.
double normalized_mutual_information(const std::vector<int64_t>& truth,
                                     const std::vector<int64_t>& pred);

/// NMI from a dense contingency table [rows, cols] (row-major, any empty rows/columns ignored),
/// with sklearn's special cases; the building block of normalized_mutual_information.
double normalized_mutual_information(const std::vector<int64_t>& contingency, int64_t rows,
                                     int64_t cols);

}  // namespace dti::metrics
