#include "metrics/adjusted_rand.h"

#include <algorithm>

#include "base/error.h"
#include "metrics/contingency.h"

namespace dti::metrics {

namespace {

// 128-bit products keep the whole ARI formula in exact integers (GCC/Clang extension).
__extension__ typedef unsigned __int128 Uint128;

// Largest map we accept: C(n, 2) of 2^32 elements still fits in 64 bits.
constexpr int64_t kMaxElements = int64_t{1} << 32;

// C(x, 2) exactly; x <= 2^32 so x·(x−1) fits in 64 bits.
uint64_t choose2(int64_t x) {
  const auto u = static_cast<uint64_t>(x);
  return u < 2 ? 0 : u * (u - 1) / 2;
}

void check_size(const char* where, int64_t size) {
  DTI_CHECK(size <= kMaxElements, where, ": label maps expected at most 2^32 elements, got ", size);
}

}  // namespace

PairCounts pair_counts(const int64_t* counts, int64_t n_truth, int64_t n_pred, int64_t first_row) {
  DTI_CHECK(first_row >= 0 && first_row <= n_truth, "pair_counts: first_row expected in [0, ",
            n_truth, "], got ", first_row);
  PairCounts pairs;
  std::vector<int64_t> column_sums(static_cast<size_t>(n_pred), 0);
  for (int64_t r = first_row; r < n_truth; ++r) {
    int64_t row_sum = 0;
    for (int64_t c = 0; c < n_pred; ++c) {
      const int64_t n_ij = counts[r * n_pred + c];
      pairs.together_in_both += choose2(n_ij);
      row_sum += n_ij;
      column_sums[c] += n_ij;
    }
    pairs.together_in_truth += choose2(row_sum);
    pairs.n_elements += row_sum;
  }
  for (const int64_t b : column_sums) pairs.together_in_pred += choose2(b);
  pairs.all_pairs = choose2(pairs.n_elements);
  return pairs;
}

double adjusted_rand_index(const PairCounts& pairs) {
  const uint64_t n = pairs.all_pairs;
  const uint64_t t = pairs.together_in_both;
  const uint64_t c = pairs.together_in_truth;
  const uint64_t k = pairs.together_in_pred;
  DTI_CHECK(t <= c && t <= k && c <= n && k <= n,
            "adjusted_rand_index: pair counts expected together_in_both <= together_in_truth, "
            "together_in_pred <= all_pairs, got ",
            t, ", ", c, ", ", k, ", ", n);
  // The reference (InstanceSegScores.cpu_ari) returns 1.0 when the four sums are equal: no
  // element, a single element, or a single cluster in both labelings.
  if (t == c && c == k && k == n) return 1.0;
  // ARI = (t − ck/n) / ((c+k)/2 − ck/n). Multiplying by 2n keeps it in integers:
  //   2(n·t − c·k) / (c·(n−k) + k·(n−c)),
  // where the denominator is a sum of non-negative terms. It is 0 only when c = k = 0 (both
  // labelings all singletons; c = k = n was handled above): the reference divides 0 by 0 and
  // raises, sklearn's adjusted_rand_score returns 1.0, and so do we.
  const Uint128 denominator = Uint128{c} * (n - k) + Uint128{k} * (n - c);
  if (denominator == 0) return 1.0;
  const Uint128 agree = Uint128{n} * t;
  const Uint128 chance = Uint128{c} * k;
  // One rounding of each exact integer to a 64-bit mantissa, then one of the ratio to double.
  const long double magnitude =
      2.0L * static_cast<long double>(agree >= chance ? agree - chance : chance - agree) /
      static_cast<long double>(denominator);
  return static_cast<double>(agree >= chance ? magnitude : -magnitude);
}

double adjusted_rand_index(const int64_t* truth, const int64_t* pred, int64_t size,
                           int64_t n_labels) {
  return image_ari(truth, pred, size, n_labels).ari;
}

double adjusted_rand_index(const std::vector<int64_t>& truth, const std::vector<int64_t>& pred,
                           int64_t n_labels) {
  check_label_arrays("adjusted_rand_index", truth.data(), static_cast<int64_t>(truth.size()),
                     pred.data(), static_cast<int64_t>(pred.size()));
  return adjusted_rand_index(truth.data(), pred.data(), static_cast<int64_t>(truth.size()),
                             n_labels);
}

double adjusted_rand_index_foreground(const int64_t* truth, const int64_t* pred, int64_t size,
                                      int64_t n_labels) {
  return image_ari(truth, pred, size, n_labels).ari_foreground;
}

double adjusted_rand_index_foreground(const std::vector<int64_t>& truth,
                                      const std::vector<int64_t>& pred, int64_t n_labels) {
  check_label_arrays("adjusted_rand_index_foreground", truth.data(),
                     static_cast<int64_t>(truth.size()), pred.data(),
                     static_cast<int64_t>(pred.size()));
  return adjusted_rand_index_foreground(truth.data(), pred.data(),
                                        static_cast<int64_t>(truth.size()), n_labels);
}

ImageAri image_ari(const int64_t* truth, const int64_t* pred, int64_t size, int64_t n_labels) {
  AriAccumulator accumulator(n_labels);
  return accumulator.update(truth, pred, size);
}

AriAccumulator::AriAccumulator(int64_t n_labels) : n_labels_(n_labels) {
  // The dense table has n_labels² cells; instance maps have L + 1 labels (a handful).
  DTI_CHECK(n_labels >= 1 && n_labels <= 1024,
            "AriAccumulator: n_labels expected in [1, 1024] (layers + 1 for background), got ",
            n_labels);
  counts_.assign(static_cast<size_t>(n_labels * n_labels), 0);
}

ImageAri AriAccumulator::update(const int64_t* truth, const int64_t* pred, int64_t size) {
  check_label_arrays("adjusted_rand_index", truth, size, pred, size);
  check_size("adjusted_rand_index", size);
  std::fill(counts_.begin(), counts_.end(), 0);
  add_to_contingency("adjusted_rand_index", truth, pred, size, n_labels_, n_labels_, counts_.data(),
                     "; n_labels (layers + 1) must exceed every instance id");
  // Removing the pixels whose truth is 0 (the reference's `label_true != 0` filter) removes
  // exactly row 0 of the table, so one pass over the pixels serves both scores.
  const PairCounts all = pair_counts(counts_.data(), n_labels_, n_labels_, 0);
  const PairCounts foreground = pair_counts(counts_.data(), n_labels_, n_labels_, 1);
  ImageAri scores;
  scores.ari = adjusted_rand_index(all);
  scores.ari_foreground = adjusted_rand_index(foreground);
  scores.n_pixels = size;
  scores.n_foreground = foreground.n_elements;
  images_.push_back(scores);
  return scores;
}

ImageAri AriAccumulator::update(const int64_t* truth, const int64_t* pred,
                                const int64_t* pred_foreground, int64_t size) {
  check_label_arrays("adjusted_rand_index", truth, size, pred, size);
  check_label_arrays("adjusted_rand_index_foreground", truth, size, pred_foreground, size);
  check_size("adjusted_rand_index", size);
  // Both tables are filled before any score is kept, so a bad label leaves no partial image.
  std::fill(counts_.begin(), counts_.end(), 0);
  add_to_contingency("adjusted_rand_index", truth, pred, size, n_labels_, n_labels_, counts_.data(),
                     "; n_labels (layers + 1) must exceed every instance id");
  const PairCounts all = pair_counts(counts_.data(), n_labels_, n_labels_, 0);
  std::fill(counts_.begin(), counts_.end(), 0);
  add_to_contingency("adjusted_rand_index_foreground", truth, pred_foreground, size, n_labels_,
                     n_labels_, counts_.data(),
                     "; n_labels (layers + 1) must exceed every instance id");
  const PairCounts foreground = pair_counts(counts_.data(), n_labels_, n_labels_, 1);
  ImageAri scores;
  scores.ari = adjusted_rand_index(all);
  scores.ari_foreground = adjusted_rand_index(foreground);
  scores.n_pixels = size;
  scores.n_foreground = foreground.n_elements;
  images_.push_back(scores);
  return scores;
}

void AriAccumulator::update_batch(const int64_t* truth, const int64_t* pred, int64_t batch,
                                  int64_t pixels_per_image) {
  DTI_CHECK(batch >= 0 && pixels_per_image >= 0,
            "AriAccumulator::update_batch: expected batch >= 0 and pixels_per_image >= 0, got ",
            batch, " and ", pixels_per_image);
  for (int64_t b = 0; b < batch; ++b) {
    update(truth + b * pixels_per_image, pred + b * pixels_per_image, pixels_per_image);
  }
}

double AriAccumulator::mean_ari() const {
  DTI_CHECK(!images_.empty(),
            "AriAccumulator::mean_ari: expected at least one image, got 0; "
            "call update() for every evaluated image first");
  double sum = 0.0;
  for (const ImageAri& image : images_) sum += image.ari;
  return sum / static_cast<double>(images_.size());
}

double AriAccumulator::mean_ari_foreground() const {
  DTI_CHECK(!images_.empty(),
            "AriAccumulator::mean_ari_foreground: expected at least one image, got 0; "
            "call update() for every evaluated image first");
  double sum = 0.0;
  for (const ImageAri& image : images_) sum += image.ari_foreground;
  return sum / static_cast<double>(images_.size());
}

}  // namespace dti::metrics
