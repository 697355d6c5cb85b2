#include "experiments/results/render.h"

#include <filesystem>
#include <ostream>

#include "datasets/catalogue.h"
#include "experiments/config/output_layout.h"
#include "experiments/config/presets.h"
#include "experiments/results/comparison.h"
#include "experiments/run/cell_run.h"
#include "reports/atomic_file.h"
#include "reports/html_report.h"
#include "reports/paper_tables.h"
#include "reports/sweep.h"
#include "reports/table_render.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// Said under every table of a shortened run, so that nobody reads it as a reproduction; the
// preset's own description says what it changed.
std::string preset_notice(const std::string& preset) {
  return "note: preset '" + preset +
         "' is a short run, not the paper's setting: these numbers are not comparable with the "
         "paper's (--preset paper reproduces it; docs/presets.md).\n" +
         preset + ": " + preset_description(preset) + ".";
}

// A paper table: Markdown, LaTeX and CSV files, the Markdown printed; cells whose data must be
// converted first say which command makes it.
reports::PaperTable render_table(const ExperimentDefinition& experiment,
                                 const RunnerOptions& options, reports::Store& store,
                                 std::ostream& out) {
  reports::TableBuildOptions build;
  build.outlier_policy = experiment.outlier_policy;
  for (const auto& cell : experiment.cells) {
    auto config = cell_config(cell, options, 0);
    const std::string path = dataset_path(config.dataset, options.data_dir);
    if (!fs::exists(path) && !is_generated(config.dataset.name)) {
      build.missing_hints[cell.name] =
          "run `" + datasets::make_command(config.dataset.name, path) + "`";
    }
  }
  const auto table =
      reports::build_paper_table(reports::paper_table_spec(experiment.table), store, build);
  const std::string stem = layout::table_stem(options.out_dir, experiment.name);
  reports::write_file_atomically(stem + ".md", reports::render_markdown(table));
  reports::write_file_atomically(stem + ".tex", reports::render_latex(table));
  reports::write_file_atomically(stem + ".csv", reports::render_csv(table));
  out << "\n" << reports::render_markdown(table) << "\n";
  out << "this invocation: " << settings_text(options.preset, options.overrides) << "\n";
  if (options.preset != "paper") out << preset_notice(options.preset) << "\n";
  return table;
}

void render_sweep(const ExperimentDefinition& experiment, const RunnerOptions& options,
                  reports::Store& store, std::ostream& out) {
  const auto points = reports::collect_sweep(store, experiment.store_experiment,
                                             experiment.sweep_parameter, "final_loss");
  const std::string text =
      reports::render_sweep_markdown(points, experiment.sweep_parameter, experiment.description);
  reports::write_file_atomically(layout::table_stem(options.out_dir, experiment.name) + ".md",
                                 text);
  out << "\n" << text << "\n";
}

}  // namespace

void render_results(const ExperimentDefinition& experiment, const RunnerOptions& options,
                    std::ostream& out) {
  auto store = open_store(options);
  store.ensure_experiment(experiment.store_experiment, experiment.description);
  reports::ReportOptions report;
  if (experiment.table > 0) {
    report.tables.push_back(render_table(experiment, options, store, out));
  } else if (!experiment.source.empty()) {  // an experiment file: its cells against the baseline
    const std::string text = render_comparison(experiment, options, store, {});
    reports::write_file_atomically(layout::table_stem(options.out_dir, experiment.name) + ".md",
                                   text);
    out << "\n" << text << "\n";
    if (options.preset != "paper") out << preset_notice(options.preset) << "\n";
    report.sweep_parameter = experiment.sweep_parameter;
    report.sweep_categorical = experiment.sweep_categorical;
  } else {
    report.sweep_parameter = experiment.sweep_parameter;
    report.sweep_categorical = experiment.sweep_categorical;
    render_sweep(experiment, options, store, out);
  }
  const auto summary = reports::render_experiment_report(
      store, experiment.store_experiment, layout::report_folder(options.out_dir, experiment.name),
      report);
  out << "report: " << summary.index_path << " (" << summary.runs << " runs, " << summary.images
      << " images)\n";
}

}  // namespace dti::experiments
