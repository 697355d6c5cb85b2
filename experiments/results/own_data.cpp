#include "experiments/results/own_data.h"

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"
#include "datasets/catalogue.h"
#include "experiments/config/config.h"
#include "experiments/config/output_layout.h"
#include "experiments/config/presets.h"
#include "experiments/run/cell_run.h"
#include "experiments/run/metric_table.h"
#include "reports/atomic_file.h"
#include "reports/html_report.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// Images this large get the ResNet-18 encoder, as the paper's 128-pixel configs (CLEVR6, Horse).
constexpr int64_t kLargeImage = 96;

std::string convert_hint() {
  return "make a dataset file from a folder of images with `runexp data convert folder --input "
         "YOUR_IMAGES_DIR --out NEW_FILE.h5`";
}

// What a file holds, in words, for messages and table headers.
std::string describe(const datasets::DatasetInfo& info) {
  std::ostringstream out;
  out << "dataset '" << info.name << "', " << info.size << " images of " << info.height << "x"
      << info.width;
  if (info.has_labels) out << ", labels of " << info.num_classes << " classes";
  if (info.has_instance_masks) out << ", instance masks";
  if (!info.has_labels && !info.has_instance_masks) out << ", no labels or masks";
  return out.str();
}

datasets::DatasetInfo read_info(const std::string& path, const std::string& command) {
  DTI_CHECK(fs::exists(path), "runexp ", command, ": --data ", path, " does not exist; ",
            convert_hint());
  try {
    return datasets::DatasetReader(path).info();
  } catch (const Error& e) {
    throw Error("runexp " + command + ": --data " + path +
                " is not a dataset file this build can read (" + e.what() + "); " + convert_hint() +
                " (keep your file)");
  }
}

// The cell: the file's stem, in characters that are safe in folder names.
std::string cell_name(const std::string& path) {
  std::string name = fs::path(path).stem().string();
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_') ch = '_';
  }
  return name.empty() ? "data" : name;
}

std::string config_file(const std::string& command, const std::string& cell,
                        const RunnerOptions& options) {
  return layout::own_data_config(options.out_dir, command, cell);
}

ExperimentDefinition definition(const std::string& command, const std::string& cell,
                                const std::string& config_path) {
  const auto config = load_config(config_path);
  std::string variant = "K=" + std::to_string(config.model.n_sprites);
  if (command == "decompose") variant += " L=" + std::to_string(config.model.n_objects);
  const std::string description =
      command == "cluster" ? "your images clustered: one object layer over a background"
                           : "your images decomposed into object layers over a background";
  return {command, description, command, 0, 1, {{cell, config_path, variant, {}}}};
}

std::string mean_std(const std::string& metric, const std::vector<double>& values) {
  if (values.empty()) return "–";
  double mean = 0, var = 0;
  for (double v : values) mean += v / static_cast<double>(values.size());
  for (double v : values) var += (v - mean) * (v - mean);
  const double sd = values.size() > 1 ? std::sqrt(var / static_cast<double>(values.size() - 1)) : 0;
  return format_metric(metric, mean) + " ± " + format_metric(metric, sd);
}

}  // namespace

std::string own_data_name(OwnDataCommand command) {
  return command == OwnDataCommand::kCluster ? "cluster" : "decompose";
}

bool is_own_data_experiment(const std::string& experiment) {
  return experiment == "cluster" || experiment == "decompose";
}

std::vector<std::string> own_data_overrides(const OwnDataRequest& request,
                                            const datasets::DatasetInfo& info) {
  const bool cluster = request.command == OwnDataCommand::kCluster;
  std::string eval = "none";
  if (cluster && info.has_labels) eval = "clustering";
  if (!cluster && info.has_instance_masks && info.max_objects > 0) eval = "instance";
  const std::string size =
      "[" + std::to_string(info.height) + ", " + std::to_string(info.width) + "]";
  std::vector<std::string> out = {
      "dataset.name=" + std::string(datasets::kFolderDataset),
      "dataset.file='" + fs::path(request.data).filename().string() + "'",
      "dataset.image_size=" + size,
      "dataset.eval=" + eval,
  };
  if (request.config.empty()) {
    if (std::max(info.height, info.width) >= kLargeImage)
      out.push_back("model.encoder_name=resnet18");
    if (!cluster) {
      out.push_back("model.sprite_size=[" + std::to_string(std::max<int64_t>(info.height / 2, 1)) +
                    ", " + std::to_string(std::max<int64_t>(info.width / 2, 1)) + "]");
    }
  }
  if (request.sprites > 0) out.push_back("model.n_sprites=" + std::to_string(request.sprites));
  if (!cluster && request.layers > 0)
    out.push_back("model.n_objects=" + std::to_string(request.layers));
  return out;
}

ExperimentDefinition prepare_own_data(const OwnDataRequest& request, RunnerOptions& options) {
  const std::string command = own_data_name(request.command);
  const auto info = read_info(request.data, command);
  const std::string base = resolve_config_path(request.config.empty() ? command : request.config);
  RunConfig config;
  try {
    config = load_config(base, own_data_overrides(request, info));
  } catch (const Error& e) {
    throw Error("runexp " + command + " on " + request.data + " (" + describe(info) +
                "): " + e.what());
  }
  const fs::path file = fs::absolute(request.data);
  options.data_dir = file.parent_path().string();
  const std::string cell = cell_name(request.data);
  const std::string path = config_file(command, cell, options);
  fs::create_directories(fs::path(path).parent_path());
  reports::write_file_atomically(path, "# runexp " + command + " on " + file.string() + " (" +
                                           describe(info) + "), from " + base + "\n" +
                                           to_yaml(config));
  return definition(command, cell, path);
}

ExperimentDefinition own_data_experiment(const std::string& experiment, const std::string& cell,
                                         const RunnerOptions& options) {
  DTI_CHECK(is_own_data_experiment(experiment), "own data: expected cluster or decompose, got '",
            experiment, "'");
  const std::string path = config_file(experiment, cell, options);
  DTI_CHECK(fs::exists(path), "runexp run-cell ", experiment, ": ", path,
            " is missing; it is written by `runexp ", experiment, " --data FILE` with --out ",
            options.out_dir);
  return definition(experiment, cell, path);
}

void render_own_data(const ExperimentDefinition& experiment, const RunnerOptions& options,
                     std::ostream& out) {
  const auto& cell = experiment.cells.front();
  auto store = open_store(options);
  store.ensure_experiment(experiment.store_experiment, experiment.description);
  const auto base = cell_config(cell, options, 0);
  const auto columns = protocol_metrics(base.dataset.eval);
  std::ostringstream table;
  table << "runexp " << experiment.name << " on " << options.data_dir << "/" << base.dataset.file
        << ": " << cell.variant << ", " << settings_text(options.preset, options.overrides)
        << "; config " << cell.config << "\n\n| seed | status | iterations |";
  for (const auto& c : columns) table << " " << c << " |";
  table << "\n|---|---|---|";
  for (size_t i = 0; i < columns.size(); ++i) table << "---|";
  table << "\n";
  std::map<std::string, std::vector<double>> values;
  int64_t other = 0;
  for (const auto& run :
       store.list_runs(reports::RunFilter(experiment.store_experiment, cell.name))) {
    if (run.config_hash != config_hash(cell_config(cell, options, run.spec.seed))) {
      ++other;
      continue;
    }
    const auto finals = store.final_metrics(run.id);
    table << "| " << run.spec.seed << " | " << reports::to_string(run.status) << " | "
          << (run.outcome.iterations ? std::to_string(*run.outcome.iterations) : "–") << " |";
    for (const auto& c : columns) {
      auto it = finals.find(c);
      table << " " << (it == finals.end() ? "–" : format_metric(c, it->second)) << " |";
      if (it != finals.end()) values[c].push_back(it->second);
    }
    table << "\n";
  }
  table << "| mean ± std | | |";
  for (const auto& c : columns) table << " " << mean_std(c, values[c]) << " |";
  table << "\n";
  if (other > 0)
    table << "\n(" << other << " other runs of this cell with other settings are stored)\n";
  const std::string text = table.str();
  reports::write_file_atomically(
      layout::table_stem(options.out_dir, experiment.name + "_" + cell.name) + ".md", text);
  out << "\n" << text << "\n";
  reports::ReportOptions report;
  report.include_paper_tables = false;
  const auto summary = reports::render_experiment_report(
      store, experiment.store_experiment, layout::report_folder(options.out_dir, experiment.name),
      report);
  out << "report: " << summary.index_path << " (" << summary.runs << " runs, " << summary.images
      << " images)\n";
}

}  // namespace dti::experiments
