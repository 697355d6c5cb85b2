#pragma once
// The numbers the DTI-Sprites paper (Monnier et al., ICCV 2021) reports (also listed in
// docs/evaluation.md#paper-numbers): one data table that the table renderers and the experiment
// layer both read.
// Values are percentages except the training cost (hours).

#include <optional>
#include <string>
#include <vector>

namespace dti::reports {

/// One number from the paper.
struct PaperNumber {
  /// "table1" ... "table5", or "cost".
  std::string table;
  /// Method: "DTI-Sprites", "MONet", "IODINE", "Slot Attention", "DTI-Clustering",
  /// "classical methods".
  std::string method;
  /// Dataset as the paper names it, e.g. "Multi-dSprites".
  std::string dataset;
  /// Ablation variant (Table 2), "" otherwise.
  std::string variant;
  /// Metric as the paper names it: "ARI-FG", "ARI", "accuracy", "mACC", "mIoU", "hours".
  std::string metric;
  /// The value (for a range, its upper end).
  double value = 0.0;
  /// Standard deviation over runs, when the paper gives one.
  std::optional<double> std_dev;
  /// Lower end when the paper gives a range (Table 4 "classical methods 74.9 – 87.6").
  std::optional<double> range_low;
  /// The paper marks the value (M): an outlier run was left out.
  bool outlier_removed = false;
  /// How it was measured, e.g. "5 seeds", "10 runs", "one RTX 2080 Ti".
  std::string note;
};

/// Every number of the paper's Tables 1-5 and its training cost, in the paper's order.
const std::vector<PaperNumber>& paper_numbers();

/// The number for (table, method, dataset, variant, metric), if the paper reports one.
std::optional<PaperNumber> find_paper_number(const std::string& table, const std::string& method,
                                             const std::string& dataset, const std::string& variant,
                                             const std::string& metric);

/// What the paper says about its figures that is not a number in a table.
struct PaperFigureNote {
  /// "figure8" or "figure9".
  std::string figure;
  /// One sentence, e.g. "loss against K on Tetrominoes, elbow at K = 19".
  std::string text;
};

/// What the paper says about its Figure 8 and Figure 9.
const std::vector<PaperFigureNote>& paper_figure_notes();

}  // namespace dti::reports
