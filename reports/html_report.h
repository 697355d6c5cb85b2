#pragma once
// The static HTML report of one experiment: a folder with index.html and assets/ that opens in
// any browser from disk (no server, no external URL). It shows the paper tables passed in, the
// runs and their status, loss and metric curves (SVG), sprite usage (SVG bars), Figure 8/9 sweeps
// when the experiment is one, and for each run its images from the store's artifacts: sprites and
// other RGBA images on a checkerboard, masks, backgrounds, and per sample the input,
// reconstruction, semantic and instance segmentation and the layers.
//
// Conventions read from the store (what the experiment layer records):
// - curves: metric values with an iteration; one plot per metric name (log scale for "*loss*").
// - sprite usage: final metrics "sprite_usage/<k>" (share of selections of sprite k).
// - images: PNG artifacts. Kinds "sprites", "masks", "backgrounds" (and any other kind) appear as
//   galleries; kinds "input", "reconstruction", "semantic", "instance" and kinds starting with
//   "layer" form the sample table, one row per artifact label (e.g. "sample 3"). For each
//   (kind, label) the artifact of the latest iteration is shown.
// - other artifacts (checkpoints) are listed by path, not copied.
//
// The folder is built under a temporary name and renamed into place when complete, so an
// interrupted render never leaves a half-written report behind.

#include <cstdint>
#include <string>
#include <vector>

#include "reports/paper_tables.h"
#include "reports/store.h"

namespace dti::reports {

/// What goes into the report besides what the store holds.
struct ReportOptions {
  /// Page title ("" → "dtisprites: <experiment>").
  std::string title;
  /// Paper tables shown at the top (e.g. build_paper_table(paper_table_spec(1), store)).
  std::vector<PaperTable> tables;
  /// When `tables` is empty and the experiment is "table1" ... "table5", show that paper table
  /// built from the store with default options (for "table1" also Table 5, which reads its runs).
  bool include_paper_tables = true;
  /// Swept parameter in the runs' variants ("" → "K" for experiment "figure8", "lambda" for
  /// "figure9", none otherwise).
  std::string sweep_parameter;
  /// Show the sweep's values as evenly spaced categories (default for "lambda", whose 0 has no
  /// place on a log axis).
  bool sweep_categorical = false;
};

/// What a render produced.
struct ReportSummary {
  /// Path of index.html.
  std::string index_path;
  /// Runs shown.
  int64_t runs = 0;
  /// Images written under assets/.
  int64_t images = 0;
  /// SVG plots in the page.
  int64_t plots = 0;
  /// Artifact files the store names but that no longer exist (shown as missing in the page).
  std::vector<std::string> missing_files;
};

/// Writes the report of `experiment` into `out_dir` (replacing a previous report there).
ReportSummary render_experiment_report(const Store& store, const std::string& experiment,
                                       const std::string& out_dir,
                                       const ReportOptions& options = {});

}  // namespace dti::reports
