#include "reports/html_report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"
#include "reports/atomic_file.h"
#include "reports/html_assets.h"
#include "reports/image.h"
#include "reports/svg.h"
#include "reports/sweep.h"
#include "reports/table_render.h"

namespace dti::reports {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kSampleKinds = {"input", "reconstruction", "semantic", "instance"};

bool is_sample_kind(const std::string& kind) {
  return std::find(kSampleKinds.begin(), kSampleKinds.end(), kind) != kSampleKinds.end() ||
         kind.rfind("layer", 0) == 0;
}

std::string safe_name(const std::string& text) {
  std::string out;
  for (char c : text) out += std::isalnum(static_cast<unsigned char>(c)) || c == '-' ? c : '_';
  return out;
}

std::string format_number(std::optional<double> value, const char* format = "%.4g") {
  if (!value) return "";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, format, *value);
  return buffer;
}

std::string status_text(const RunRecord& run) {
  if (run.status != RunStatus::running) return to_string(run.status);
  return run.liveness == Liveness::stale ? "running (stale: killed or silent)" : "running";
}

struct Page {
  fs::path root;    // the folder being written (temporary name)
  fs::path target;  // where it ends up (links to run folders are relative to it)
  std::ostringstream html;
  ReportSummary summary;
};

// Copies (or, for images with alpha, composes on a checkerboard) one artifact into assets/;
// returns its path relative to index.html, or "" when it is missing or unreadable.
std::string add_image(Page& page, const Artifact& artifact) {
  if (!fs::is_regular_file(artifact.path)) {
    page.summary.missing_files.push_back(artifact.path);
    return "";
  }
  const std::string relative = "assets/run" + std::to_string(artifact.run_id) + "/" +
                               std::to_string(artifact.id) + "-" + safe_name(artifact.kind) +
                               ".png";
  try {
    const Image image = read_png(artifact.path);
    if (image.channels == 2 || image.channels == 4)
      write_png((page.root / relative).string(), compose_checkerboard(image));
    else
      write_file_atomically((page.root / relative).string(), read_file(artifact.path));
  } catch (const Error&) {
    page.summary.missing_files.push_back(artifact.path + " (not a readable image)");
    return "";
  }
  ++page.summary.images;
  return relative;
}

std::string figure(Page& page, const Artifact& artifact, const std::string& caption) {
  const std::string source = add_image(page, artifact);
  if (source.empty())
    return "<figure class=\"missing\">missing: " + xml_escape(artifact.path) + "</figure>";
  return "<figure><img src=\"" + xml_escape(source) + "\" alt=\"" +
         xml_escape(artifact.kind + " " + artifact.label) + "\"><figcaption>" +
         xml_escape(caption) + "</figcaption></figure>";
}

bool is_png(const std::string& path) {
  return to_lower(fs::path(path).extension().string()) == ".png";
}

// The run's folder (its checkpoint's), as a link relative to the report; "" when unknown.
std::string run_folder_link(const Page& page, const Store& store, const RunRecord& run) {
  const auto checkpoints = store.artifacts(run.id, "checkpoint");
  if (checkpoints.empty()) return "";
  const fs::path folder = fs::absolute(checkpoints.front().path).parent_path().lexically_normal();
  const std::string href = folder.lexically_relative(page.target).generic_string() + "/";
  return "<a href=\"" + xml_escape(href) + "\">" + xml_escape(folder.filename().string()) + "</a>";
}

void write_runs_table(Page& page, const Store& store, const std::vector<RunRecord>& runs) {
  page.html
      << "<h2>Runs</h2>\n<div class=\"wide\"><table class=\"runs\">\n<tr><th>run</th><th>cell</th>"
         "<th>dataset</th><th>data</th><th>variant</th><th>seed</th><th>status</th>"
         "<th>attempts</th><th>final loss</th><th>iterations</th><th>images/s</th><th>peak MiB</th>"
         "<th>device</th><th>code</th><th>LibTorch</th><th>host</th><th>started</th>"
         "<th>ended</th><th>config</th><th>folder</th></tr>\n";
  for (const RunRecord& run : runs) {
    std::string mib;
    if (run.outcome.peak_memory_bytes)
      mib = std::to_string((*run.outcome.peak_memory_bytes + (1 << 19)) >> 20);
    page.html << "<tr><td><a href=\"#run" << run.id << "\">" << run.id << "</a></td><td>"
              << xml_escape(run.spec.cell) << "</td><td>" << xml_escape(run.spec.dataset)
              << "</td><td title=\"" << xml_escape(run.data.note) << "\">"
              << xml_escape(run.data.kind) << "</td><td>" << xml_escape(run.spec.variant)
              << "</td><td>" << run.spec.seed << "</td><td"
              << (run.liveness == Liveness::stale ? " class=\"stale\"" : "") << ">"
              << xml_escape(status_text(run)) << "</td><td>" << run.attempts << "</td><td>"
              << format_number(run.outcome.final_loss) << "</td><td>"
              << (run.outcome.iterations ? std::to_string(*run.outcome.iterations) : "")
              << "</td><td>" << format_number(run.outcome.images_per_second, "%.1f") << "</td><td>"
              << mib << "</td><td>" << xml_escape(run.spec.device) << "</td><td>"
              << xml_escape(run.spec.code_version) << "</td><td>"
              << xml_escape(run.spec.libtorch_version) << "</td><td>" << xml_escape(run.host)
              << "</td><td>" << xml_escape(run.started_at) << "</td><td>"
              << xml_escape(run.ended_at) << "</td><td>" << run.config_hash.substr(0, 12)
              << "</td><td>" << run_folder_link(page, store, run) << "</td></tr>\n";
  }
  page.html << "</table></div>\n";
}

void write_curves(Page& page, const Store& store, const RunRecord& run) {
  std::set<std::string> names;
  for (const MetricPoint& point : store.metrics(run.id))
    if (point.iteration && point.name.rfind("sprite_usage/", 0) != 0) names.insert(point.name);
  if (names.empty()) return;
  page.html << "<h3>Curves</h3>\n<div class=\"plots\">\n";
  for (const std::string& name : names) {
    Series series{name, {}, {}, {}};
    for (const MetricPoint& point : store.metric_curve(run.id, name)) {
      series.x.push_back(double(*point.iteration));
      series.y.push_back(point.value);
    }
    PlotOptions options;
    options.title = name;
    options.x_label = "iteration";
    options.y_label = name;
    options.log_y = name.find("loss") != std::string::npos;
    options.width = 420;
    options.height = 260;
    page.html << render_svg_lines({series}, options);
    ++page.summary.plots;
  }
  page.html << "</div>\n";
}

void write_usage(Page& page, const Store& store, const RunRecord& run) {
  std::map<int, double> usage;  // sprite index → share, ordered numerically
  for (const auto& [name, value] : store.final_metrics(run.id)) {
    if (name.rfind("sprite_usage/", 0) != 0) continue;
    try {
      usage[std::stoi(name.substr(13))] = value;
    } catch (const std::exception&) {
      continue;  // a malformed index is shown nowhere rather than misplaced
    }
  }
  if (usage.empty()) return;
  std::vector<std::string> labels;
  std::vector<double> values;
  for (const auto& [index, value] : usage) {
    labels.push_back(std::to_string(index));
    values.push_back(value);
  }
  PlotOptions options;
  options.title = "sprite usage (share of selections)";
  options.x_label = "sprite";
  options.y_label = "share";
  page.html << "<h3>Sprite usage</h3>\n" << render_svg_bars(labels, values, options);
  ++page.summary.plots;
}

// The artifact of the latest iteration for each (kind, label).
std::map<std::pair<std::string, std::string>, Artifact> latest_images(
    const std::vector<Artifact>& artifacts) {
  std::map<std::pair<std::string, std::string>, Artifact> latest;
  for (const Artifact& a : artifacts) {
    if (!is_png(a.path)) continue;
    auto [it, inserted] = latest.emplace(std::make_pair(a.kind, a.label), a);
    if (!inserted && a.iteration.value_or(-1) >= it->second.iteration.value_or(-1)) it->second = a;
  }
  return latest;
}

void write_images(Page& page, const Store& store, const RunRecord& run) {
  const std::vector<Artifact> artifacts = store.artifacts(run.id);
  const auto latest = latest_images(artifacts);
  std::map<std::string, std::vector<Artifact>> galleries;
  std::set<std::string> sample_labels, layer_kinds;
  for (const auto& [key, artifact] : latest) {
    if (!is_sample_kind(key.first)) {
      galleries[key.first].push_back(artifact);
    } else {
      sample_labels.insert(key.second);
      if (key.first.rfind("layer", 0) == 0) layer_kinds.insert(key.first);
    }
  }
  for (const std::string& kind :
       {std::string("sprites"), std::string("masks"), std::string("backgrounds")}) {
    if (!galleries.count(kind)) continue;
    page.html << "<h3>" << kind << "</h3>\n<div class=\"gallery\">";
    for (const Artifact& a : galleries[kind])
      page.html << figure(page, a, a.label.empty() ? kind : a.label);
    page.html << "</div>\n";
    galleries.erase(kind);
  }
  for (const auto& [kind, list] : galleries) {
    page.html << "<h3>" << xml_escape(kind) << "</h3>\n<div class=\"gallery\">";
    for (const Artifact& a : list) page.html << figure(page, a, a.label.empty() ? kind : a.label);
    page.html << "</div>\n";
  }
  if (!sample_labels.empty()) {
    std::vector<std::string> columns;
    for (const std::string& kind : kSampleKinds)
      for (const auto& [key, artifact] : latest)
        if (key.first == kind) {
          columns.push_back(kind);
          break;
        }
    columns.insert(columns.end(), layer_kinds.begin(), layer_kinds.end());
    page.html << "<h3>Samples</h3>\n<table class=\"samples\">\n<tr><th>sample</th>";
    for (const std::string& kind : columns) page.html << "<th>" << xml_escape(kind) << "</th>";
    page.html << "</tr>\n";
    for (const std::string& label : sample_labels) {
      page.html << "<tr><th>" << xml_escape(label) << "</th>";
      for (const std::string& kind : columns) {
        const auto found = latest.find({kind, label});
        page.html << "<td>" << (found == latest.end() ? "" : figure(page, found->second, kind))
                  << "</td>";
      }
      page.html << "</tr>\n";
    }
    page.html << "</table>\n";
  }
  bool header = false;
  for (const Artifact& a : artifacts) {
    if (is_png(a.path)) continue;
    if (!header) page.html << "<h3>Other files</h3>\n<ul>\n";
    header = true;
    page.html << "<li>" << xml_escape(a.kind) << ": <code>" << xml_escape(a.path) << "</code>"
              << (fs::exists(a.path) ? "" : " <span class=\"missing\">(missing)</span>")
              << "</li>\n";
  }
  if (header) page.html << "</ul>\n";
}

void write_run(Page& page, const Store& store, const RunRecord& run, bool open) {
  page.html << "<details id=\"run" << run.id << "\"" << (open ? " open" : "") << "><summary>Run "
            << run.id << ": " << xml_escape(run.spec.cell)
            << (run.spec.variant.empty() ? "" : " / " + xml_escape(run.spec.variant)) << ", seed "
            << run.spec.seed << " (" << xml_escape(status_text(run)) << ")</summary>\n";
  if (!run.error.empty())
    page.html << "<p class=\"missing\">error: " << xml_escape(run.error) << "</p>\n";
  write_images(page, store, run);
  write_curves(page, store, run);
  write_usage(page, store, run);
  page.html << "<details><summary>configuration (sha256 " << run.config_hash << ")</summary><pre>"
            << xml_escape(run.spec.config_text) << "</pre></details>\n"
            << "</details>\n";
}

void write_sweeps(Page& page, const Store& store, const std::string& experiment,
                  const ReportOptions& options) {
  std::string parameter = options.sweep_parameter;
  bool categorical = options.sweep_categorical;
  if (parameter.empty() && experiment == "figure8") parameter = "K";
  if (parameter.empty() && experiment == "figure9") {
    parameter = "lambda";
    categorical = true;
  }
  if (parameter.empty()) return;
  std::set<std::string> quantities = {"final_loss"};
  RunFilter filter(experiment);
  filter.status = RunStatus::finished;
  for (const RunRecord& run : store.list_runs(filter))
    for (const auto& [name, value] : store.final_metrics(run.id))
      if (name.rfind("sprite_usage/", 0) != 0) quantities.insert(name);
  page.html << "<h2>Sweep over " << xml_escape(parameter) << "</h2>\n<div class=\"plots\">\n";
  for (const std::string& quantity : quantities) {
    const auto points = collect_sweep(store, experiment, parameter, quantity);
    if (points.empty()) continue;
    page.html << render_sweep_svg(points, parameter, quantity, categorical,
                                  quantity + " against " + parameter);
    ++page.summary.plots;
  }
  page.html << "</div>\n";
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  return buffer;
}

void write_page(Page& page, const Store& store, const std::string& experiment,
                const ReportOptions& options) {
  const std::string title = options.title.empty() ? "dtisprites: " + experiment : options.title;
  const std::vector<RunRecord> runs = store.list_runs(RunFilter(experiment));
  page.summary.runs = static_cast<int64_t>(runs.size());
  page.html << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
            << xml_escape(title) << "</title>\n<style>" << html::kStyle
            << "</style>\n</head>\n<body>\n"
            << "<h1>" << xml_escape(title) << "</h1>\n<p>"
            << xml_escape(store.experiment_description(experiment)) << "</p>\n<p>Store <code>"
            << xml_escape(store.path()) << "</code>, " << runs.size() << " run(s), written "
            << utc_now() << ". Only finished runs enter the tables.</p>\n";
  std::vector<PaperTable> tables = options.tables;
  if (tables.empty() && options.include_paper_tables) {
    for (int number = 1; number <= 5; ++number) {
      const bool own = experiment == "table" + std::to_string(number);
      if (own || (experiment == "table1" && number == 5))
        tables.push_back(build_paper_table(paper_table_spec(number), store));
    }
  }
  for (const PaperTable& table : tables) page.html << render_html(table);
  write_sweeps(page, store, experiment, options);
  write_runs_table(page, store, runs);
  page.html << "<h2>Run details</h2>\n";
  for (size_t i = 0; i < runs.size(); ++i) write_run(page, store, runs[i], i == 0);
  page.html << "<script>" << html::kImageCheck << "</script>\n</body>\n</html>\n";
}

}  // namespace

ReportSummary render_experiment_report(const Store& store, const std::string& experiment,
                                       const std::string& out_dir, const ReportOptions& options) {
  DTI_CHECK(!out_dir.empty(), "render_experiment_report: empty output folder");
  store.experiment_description(experiment);  // an unknown experiment is an error, not a blank page
  const fs::path target = fs::absolute(out_dir).lexically_normal();
  const std::string suffix = "." + std::to_string(getpid());
  Page page;
  page.root = target.string() + ".partial" + suffix;
  page.target = target;
  fs::remove_all(page.root);
  try {
    fs::create_directories(page.root / "assets");
    write_page(page, store, experiment, options);
    write_file_atomically((page.root / "index.html").string(), page.html.str());
    // Swap the finished folder into place; the previous report is removed only afterwards.
    const fs::path previous = target.string() + ".previous" + suffix;
    if (fs::exists(target)) fs::rename(target, previous);
    fs::rename(page.root, target);
    fs::remove_all(previous);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(page.root, ignored);
    throw;
  }
  page.summary.index_path = (target / "index.html").string();
  return page.summary;
}

}  // namespace dti::reports
