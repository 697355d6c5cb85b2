#pragma once
// The paper's Tables 1-5 as data: what each row and column is, where our numbers come from in the
// store (CellRef), and the paper's values (paper_numbers.h). build_paper_table() fills a spec with
// our results; table_render.h turns the result into Markdown, LaTeX or CSV.
//
// The CellRefs of paper_table_spec() are the contract with the experiment layer: `runexp tableN`
// stores its runs under these experiment and cell names and records these final metrics (stored as
// fractions in [0, 1]; tables show percentages). Table 5 reads the semantic metrics of the Table 1
// runs, which the paper computes from the same models.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reports/aggregate.h"
#include "reports/cell_result.h"
#include "reports/paper_numbers.h"

namespace dti::reports {

/// A column header: an optional group (dataset) over a label (metric).
struct TableColumn {
  /// Group header, e.g. "Multi-dSprites" ("" when the table has no groups).
  std::string group;
  /// Column header, e.g. "ARI-FG".
  std::string label;
};

/// Where one measured value comes from and which paper number it is compared with.
struct CellSpec {
  /// Dataset as the paper names it (the paper-number key).
  std::string dataset;
  /// Metric as the paper names it, e.g. "ARI-FG" (the paper-number key).
  std::string metric;
  /// Our runs in the store.
  CellRef ref;
};

/// A row the suite measures (DTI-Sprites or one of its ablations).
struct RowSpec {
  /// Row label, e.g. "DTI-Sprites" or "Multi-dSprites: fixed occlusion".
  std::string label;
  /// Method name in paper_numbers(), e.g. "DTI-Sprites".
  std::string method;
  /// Variant in paper_numbers() ("" when none).
  std::string variant;
  /// One cell per column.
  std::vector<CellSpec> cells;
  /// Index of the row this one is an ablation of (Table 2: the "full" row), if any.
  std::optional<size_t> baseline_row;
};

/// A paper table: its layout, our cells and the peers the paper compares with.
struct TableSpec {
  /// "table1" ... "table5".
  std::string id;
  /// Caption, e.g. "Table 1: multi-object instance segmentation ...".
  std::string title;
  /// Columns, in the paper's order.
  std::vector<TableColumn> columns;
  /// Peer methods shown from the paper only (looked up by column group and label).
  std::vector<std::string> peers;
  /// Rows we measure.
  std::vector<RowSpec> rows;
  /// Sentences printed under the table.
  std::vector<std::string> notes;
  /// Outlier policy as the paper applied it in this table (docs/evaluation.md#outliers): the
  /// rule in Tables 1, 3, 4 and 5 (the paper marks (M) where it dropped a run), none in Table 2
  /// (its Multi-dSprites "full" row, 91.5 ± 2.2, keeps the run Table 1 drops).
  OutlierPolicy outlier_policy = OutlierPolicy::kRule;
  /// Final metric holding the number of images each run evaluated ("" = not reported): the
  /// store-reading build_paper_table() states it under the table (Table 4: the paper's 327).
  std::string count_metric;
};

/// The spec of paper table `number` (1 to 5); throws for another number.
TableSpec paper_table_spec(int number);

/// A peer's row: paper values only.
struct PeerRow {
  /// Method name.
  std::string method;
  /// Paper value per column (absent: the paper shows a dash).
  std::vector<std::optional<PaperNumber>> cells;
};

/// One measured cell: our result beside the paper's.
struct MeasuredCell {
  /// Where it came from.
  CellSpec spec;
  /// The paper's value, if the paper reports one.
  std::optional<PaperNumber> paper;
  /// Ours.
  CellResult ours;
  /// ours.mean − paper.value, when both exist.
  std::optional<double> difference() const;
};

/// A measured row filled with results.
struct MeasuredRow {
  /// Row label.
  std::string label;
  /// One per column.
  std::vector<MeasuredCell> cells;
};

/// An ablation compared with its baseline over seeds (bootstrap interval of the difference).
struct AblationComparison {
  /// e.g. "Multi-dSprites: fixed occlusion − full".
  std::string label;
  /// Column header of the metric.
  std::string column;
  /// The comparison.
  MeanDifference difference;
};

/// A paper table with our results, ready to render.
struct PaperTable {
  /// "table1" ... "table5".
  std::string id;
  /// Caption.
  std::string title;
  /// Columns.
  std::vector<TableColumn> columns;
  /// Peers, paper values only.
  std::vector<PeerRow> peers;
  /// Measured rows.
  std::vector<MeasuredRow> rows;
  /// Ablation comparisons (Table 2), when both sides have at least two seeds.
  std::vector<AblationComparison> comparisons;
  /// Notes from the spec.
  std::vector<std::string> notes;
  /// The outlier policy the cells were aggregated with (printed under the table).
  OutlierPolicy outlier_policy = OutlierPolicy::kRule;
};

/// Fills `spec` with results from `results` (one call per measured cell) and the paper's numbers.
PaperTable build_paper_table(const TableSpec& spec,
                             const std::function<CellResult(const CellSpec&)>& results,
                             const BootstrapOptions& bootstrap = {});

/// How build_paper_table() reads the store.
struct TableBuildOptions {
  /// Aggregation (outlier rule, scale). Its rule.policy is replaced by `outlier_policy`.
  CellOptions cell;
  /// The experiment's outlier policy; absent: the table's (TableSpec::outlier_policy). Means and
  /// the ablation bootstrap comparisons both use the runs this policy keeps.
  std::optional<OutlierPolicy> outlier_policy;
  /// Bootstrap settings of the ablation comparisons.
  BootstrapOptions bootstrap;
  /// What to do when a cell has no data, by store cell name (e.g. "clevr6" →
  /// "run `runexp data convert clevr6 <dir>`").
  std::map<std::string, std::string> missing_hints;
};

/// Fills `spec` from the store: collect_cell() for every measured cell.
PaperTable build_paper_table(const TableSpec& spec, const Store& store,
                             const TableBuildOptions& options = {});

}  // namespace dti::reports
