#include "experiments/run/run_summary.h"

#include <algorithm>
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
#include "experiments/run/metric_table.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// The configuration the run is compared with: the paper's for a paper dataset, the shipped
// cluster / decompose config for the user's own images. "" when there is none.
std::string reference_config(const reports::RunRecord& run, std::string& name) {
  const std::string dataset = run.spec.dataset;
  name = dataset == datasets::kFolderDataset ? run.spec.experiment : dataset;
  const std::string path = resolve_config_path(name);
  if (!fs::exists(path)) return "";
  name = path;
  return to_yaml(load_config(path));
}

std::string run_folder(const reports::Store& store, const reports::RunRecord& run) {
  for (const auto& a : store.artifacts(run.id, "checkpoint")) {
    return fs::path(a.path).parent_path().string();
  }
  return "";
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flatten_config(const std::string& yaml_text) {
  std::vector<std::pair<std::string, std::string>> out;
  std::vector<std::pair<size_t, std::string>> parents;  // (indent, key)
  std::istringstream in(yaml_text);
  std::string line;
  while (std::getline(in, line)) {
    const size_t indent = line.find_first_not_of(' ');
    if (indent == std::string::npos || line[indent] == '#') continue;
    const size_t colon = line.find(':', indent);
    if (colon == std::string::npos) continue;
    while (!parents.empty() && parents.back().first >= indent) parents.pop_back();
    std::string key;
    for (const auto& p : parents) key += p.second + ".";
    key += line.substr(indent, colon - indent);
    std::string value = colon + 1 < line.size() ? line.substr(colon + 1) : "";
    value.erase(0, std::min(value.find_first_not_of(' '), value.size()));
    if (value.empty()) {
      parents.push_back({indent, line.substr(indent, colon - indent)});
    } else {
      out.push_back({key, value});
    }
  }
  return out;
}

std::vector<std::string> config_differences(const std::string& before, const std::string& after) {
  std::map<std::string, std::string> old_values;
  for (const auto& [k, v] : flatten_config(before)) old_values[k] = v;
  std::vector<std::string> out;
  for (const auto& [k, v] : flatten_config(after)) {
    auto it = old_values.find(k);
    if (it == old_values.end()) {
      out.push_back(k + ": (absent) → " + v);
      continue;
    }
    if (it->second != v) out.push_back(k + ": " + it->second + " → " + v);
    old_values.erase(it);
  }
  for (const auto& [k, v] : old_values) out.push_back(k + ": " + v + " → (absent)");
  return out;
}

std::string sparkline(const std::vector<double>& values, size_t width) {
  if (values.empty() || width == 0) return "";
  static const char* kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
  // Mean of each of `n` equal slices, so a long curve keeps its shape.
  const size_t n = std::min(width, values.size());
  std::vector<double> points(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    const size_t begin = i * values.size() / n, end = (i + 1) * values.size() / n;
    for (size_t j = begin; j < end; ++j) points[i] += values[j] / static_cast<double>(end - begin);
  }
  const auto [lo, hi] = std::minmax_element(points.begin(), points.end());
  std::string out;
  for (double p : points) {
    const double t = *hi > *lo ? (p - *lo) / (*hi - *lo) : 0.5;
    out += kBlocks[std::min(7, static_cast<int>(t * 8))];
  }
  return out;
}

std::string store_of_run_folder(const std::string& folder) {
  fs::path p = fs::absolute(folder).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  for (fs::path up = p; up.has_parent_path() && up != up.parent_path(); up = up.parent_path()) {
    if (up.filename() == layout::kRunsFolder) return layout::store_file(up.parent_path().string());
  }
  return "";
}

int64_t find_run_id(const reports::Store& store, const std::string& what) {
  const bool numeric = !what.empty() && std::all_of(what.begin(), what.end(), [](unsigned char c) {
    return std::isdigit(c);
  });
  if (numeric) return store.run(std::stoll(what)).id;
  // A run folder is named seed<S>-<first 10 hex digits of the config hash> (cell_run.cpp).
  fs::path p = fs::path(what).lexically_normal();
  if (p.filename().empty()) p = p.parent_path();
  const std::string leaf = p.filename().string();
  const size_t dash = leaf.find('-');
  DTI_CHECK(leaf.rfind("seed", 0) == 0 && dash != std::string::npos, "runexp show: expected a run ",
            "id or a run folder such as out/runs/table1/tetrominoes/seed0-1a2b3c4d5e, got '", what,
            "'");
  const std::string seed = leaf.substr(4, dash - 4), hash = leaf.substr(dash + 1);
  for (const auto& experiment : store.experiments()) {
    for (const auto& run : store.list_runs(reports::RunFilter(experiment))) {
      if (std::to_string(run.spec.seed) == seed && run.config_hash.rfind(hash, 0) == 0)
        return run.id;
    }
  }
  throw Error("runexp show: no run of " + store.path() + " has seed " + seed +
              " and a config hash starting " + hash + " (the folder '" + what +
              "'); pass --db or --out of the store that made it");
}

void show_run(const reports::Store& store, int64_t run_id, const RunnerOptions& options,
              std::ostream& out) {
  const auto run = store.run(run_id);
  out << "run " << run.id << ": " << run.spec.experiment << " / " << run.spec.cell << " seed "
      << run.spec.seed << (run.spec.variant.empty() ? "" : " (" + run.spec.variant + ")") << ", "
      << reports::to_string(run.status) << (run.error.empty() ? "" : ": " + run.error) << "\n";
  out << "  started " << run.started_at << ", ended " << (run.ended_at.empty() ? "–" : run.ended_at)
      << ", " << run.attempts << " attempt(s), device " << run.spec.device << ", code "
      << run.spec.code_version << ", LibTorch " << run.spec.libtorch_version << "\n";
  if (!run.data.kind.empty())
    out << "  data: " << run.data.kind << (run.data.note.empty() ? "" : ": " + run.data.note)
        << "\n";
  if (run.outcome.iterations) out << "  iterations " << *run.outcome.iterations;
  if (run.outcome.images_per_second)
    out << ", " << std::setprecision(4) << *run.outcome.images_per_second << " images/s";
  out << "\n";
  std::string reference;
  const std::string base = reference_config(run, reference);
  if (!base.empty()) {
    const auto diff = config_differences(base, run.spec.config_text);
    out << "config: " << diff.size() << " difference(s) from " << reference << "\n";
    for (const auto& d : diff) out << "  " << d << "\n";
  }
  out << "metrics:";
  for (const auto& [name, value] : store.final_metrics(run.id)) {
    if (name.rfind("sprite_usage/", 0) == 0) continue;
    out << " " << name << "=" << format_metric(name, value);
  }
  out << "\n";
  std::vector<double> loss;
  for (const auto& p : store.metric_curve(run.id, "train_loss")) loss.push_back(p.value);
  if (!loss.empty()) {
    out << "training loss: " << sparkline(loss) << " (" << std::setprecision(3) << loss.front()
        << " → " << loss.back() << ", " << loss.size() << " points)\n";
  }
  const std::string folder = run_folder(store, run);
  if (!folder.empty()) out << "folder: " << folder << "\n";
  const std::string report =
      layout::report_folder(options.out_dir, run.spec.experiment) + "/index.html";
  if (fs::exists(report)) {
    out << "report: " << report << "\n";
  } else {
    out << "report: none yet (runexp report --experiment " << run.spec.experiment << ")\n";
  }
}

}  // namespace dti::experiments
