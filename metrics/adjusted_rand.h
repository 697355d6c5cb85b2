#pragma once
// Adjusted Rand index of instance label maps (paper Tables 1, 2; docs/evaluation.md): ARI on all
// pixels and ARI-FG on the pixels whose ground truth is not background, averaged over images as the
// reference's InstanceSegScores does.

#include <cstdint>
#include <vector>

namespace dti::metrics {

/// Exact pair counts of a contingency table n_ij (rows: ground truth, columns: prediction).
struct PairCounts {
  uint64_t together_in_both = 0;   ///< Σ_ij C(n_ij, 2): pairs in one cluster in both labelings.
  uint64_t together_in_truth = 0;  ///< Σ_i C(a_i, 2) with a_i the row sums.
  uint64_t together_in_pred = 0;   ///< Σ_j C(b_j, 2) with b_j the column sums.
  uint64_t all_pairs = 0;          ///< C(n, 2) with n the number of labelled elements.
  int64_t n_elements = 0;          ///< n, the total of the table.
};

/// Pair counts of rows [first_row, n_truth) of a row-major [n_truth, n_pred] contingency table
/// (first_row = 1 drops the ground-truth background row, which is ARI-FG's pixel filter).
PairCounts pair_counts(const int64_t* counts, int64_t n_truth, int64_t n_pred,
                       int64_t first_row = 0);

/// ARI from exact pair counts. Returns 1.0 when the four pair sums are equal (the reference's
/// rule: no pixel, one pixel, or one cluster in both labelings) and 1.0 when both labelings put
/// every element in its own cluster (the reference divides 0 by 0 there; sklearn returns 1.0).
double adjusted_rand_index(const PairCounts& pairs);

/// ARI of one image on all pixels; labels in [0, n_labels) (the reference's n_instances = L+1).
double adjusted_rand_index(const int64_t* truth, const int64_t* pred, int64_t size,
                           int64_t n_labels);
/// ARI of one image on all pixels (vector form).
double adjusted_rand_index(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred,
                           int64_t n_labels);

/// ARI-FG of one image: ARI on the pixels whose truth label is not 0. No such pixel gives 1.0.
double adjusted_rand_index_foreground(const int64_t* truth, const int64_t* pred, int64_t size,
                                      int64_t n_labels);
/// ARI-FG of one image (vector form).
double adjusted_rand_index_foreground(const std::vector<int64_t>& truth,
                                      const std::vector<int64_t>& pred, int64_t n_labels);

/// Both scores of one image, from one pass over its pixels.
struct ImageAri {
  double ari = 0.0;             ///< ARI on all pixels, in [-1, 1] (usually [0, 1]).
  double ari_foreground = 0.0;  ///< ARI on pixels whose truth label is not 0.
  int64_t n_pixels = 0;         ///< Pixels of the image.
  int64_t n_foreground = 0;     ///< Pixels whose truth label is not 0.
};

/// ARI and ARI-FG of one image; labels in [0, n_labels), 0 = background.
ImageAri image_ari(const int64_t* truth, const int64_t* pred, int64_t size, int64_t n_labels);

/// Per-image ARI and ARI-FG over an evaluation set, and their means (the reported numbers are
/// these means × 100). ARI-FG is scored on a different predicted map than ARI: the reference
/// evaluates ARI on the composed instance map (0 = background) and ARI-FG after giving every
/// pixel predicted as background to its closest object layer; pass both maps when they differ.
class AriAccumulator {
 public:
  /// Labels of every image lie in [0, n_labels); n_labels >= 1.
  explicit AriAccumulator(int64_t n_labels);

  /// Scores one image of `size` pixels (flat label maps), ARI and ARI-FG on the same `pred`.
  ImageAri update(const int64_t* truth, const int64_t* pred, int64_t size);
  /// Scores one image: ARI on `pred`, ARI-FG on `pred_foreground` (the map whose predicted
  /// background was reassigned to object layers).
  ImageAri update(const int64_t* truth, const int64_t* pred, const int64_t* pred_foreground,
                  int64_t size);
  /// Scores `batch` images stored one after another, `pixels_per_image` pixels each.
  void update_batch(const int64_t* truth, const int64_t* pred, int64_t batch,
                    int64_t pixels_per_image);

  /// Mean ARI over the images seen; throws when there is none.
  double mean_ari() const;
  /// Mean ARI-FG over the images seen (an image with no foreground counts 1.0, as in the
  /// reference); throws when there is none.
  double mean_ari_foreground() const;
  /// Per-image scores in update order.
  const std::vector<ImageAri>& images() const { return images_; }
  /// Number of images seen.
  int64_t count() const { return static_cast<int64_t>(images_.size()); }
  /// Labels per map given at construction.
  int64_t n_labels() const { return n_labels_; }
  /// Forgets every image.
  void reset() { images_.clear(); }

 private:
  int64_t n_labels_;
  std::vector<int64_t> counts_;  // scratch contingency table [n_labels, n_labels]
  std::vector<ImageAri> images_;
};

}  // namespace dti::metrics
