#include "experiments/suite/experiment_file.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// Reads one experiment file: every message starts with the file's name.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(source_ + ": " + (key.empty() ? "" : key + ": ") + what);
  }

  // Every key of `map` must be one of `valid`.
  void check_keys(const YAML::Node& map, const std::string& where,
                  const std::vector<std::string>& valid) const {
    for (const auto& entry : map) {
      const auto key = entry.first.as<std::string>();
      if (std::find(valid.begin(), valid.end(), key) == valid.end()) {
        fail(where, unknown_name_message("key", key, valid));
      }
    }
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar()) fail(key, "expected a single value, got a list or a map");
    return node.Scalar();
  }

  std::vector<std::string> list(const YAML::Node& node, const std::string& key) const {
    if (!node.IsSequence()) fail(key, "expected a list such as [a, b]");
    std::vector<std::string> out;
    for (const auto& item : node) out.push_back(text(item, key));
    return out;
  }

  int seeds(const YAML::Node& node) const {
    const std::string t = text(node, "seeds");
    char* end = nullptr;
    const long n = std::strtol(t.c_str(), &end, 10);
    if (t.empty() || *end != '\0' || n < 1 || n > 1000) {
      fail("seeds", "expected a whole number from 1 to 1000, got '" + t + "'");
    }
    return static_cast<int>(n);
  }

 private:
  std::string source_;
};

// A cell name is a folder path inside the run folders: plain characters, no "..".
void check_cell_name(const Reader& r, const std::string& key, const std::string& name) {
  const std::string allowed =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.=,+-/";
  if (name.empty() || name.find_first_not_of(allowed) != std::string::npos || name.front() == '/' ||
      name.back() == '/' || name.find("..") != std::string::npos) {
    r.fail(key, "cell name '" + name + "' must be letters, digits and _ . = , + - / (no '..')");
  }
}

std::string short_key(const std::string& key) { return key.substr(key.rfind('.') + 1); }

bool is_number(const std::string& text) {
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  return !text.empty() && *end == '\0';
}

void read_cells(const Reader& r, const YAML::Node& cells, const std::string& config,
                ExperimentDefinition& e) {
  if (!cells.IsSequence() || cells.size() == 0) {
    r.fail("cells", "expected a non-empty list of cells, e.g. [{name: full}]");
  }
  for (size_t i = 0; i < cells.size(); ++i) {
    const std::string where = "cells[" + std::to_string(i) + "]";
    const YAML::Node c = cells[i];
    if (!c.IsMap()) r.fail(where, "expected a map with name and set, e.g. {name: full}");
    r.check_keys(c, where, experiment_cell_keys());
    if (!c["name"]) r.fail(where, "every cell needs a name");
    CellDefinition cell;
    cell.name = r.text(c["name"], where + ".name");
    check_cell_name(r, where + ".name", cell.name);
    cell.config = c["config"] ? r.text(c["config"], where + ".config") : config;
    if (cell.config.empty()) r.fail(where, "no config: give `config:` at the top or in the cell");
    cell.variant = c["variant"] ? r.text(c["variant"], where + ".variant") : cell.name;
    if (c["set"]) cell.overrides = r.list(c["set"], where + ".set");
    for (const auto& o : cell.overrides) {
      if (o.find('=') == std::string::npos) {
        r.fail(where + ".set", "'" + o + "' is not key=value (e.g. model.n_sprites=10)");
      }
    }
    e.cells.push_back(cell);
  }
}

// The cartesian product of the grid, first axis slowest; names "key=value,key=value".
void read_grid(const Reader& r, const YAML::Node& grid, const std::string& config,
               ExperimentDefinition& e) {
  if (!grid.IsMap() || grid.size() == 0) {
    r.fail("grid", "expected keys with lists of values, e.g. {model.n_sprites: [4, 6]}");
  }
  if (config.empty()) r.fail("grid", "a grid needs the base `config:` it varies");
  std::vector<GridAxis> axes;
  std::set<std::string> shorts;
  for (const auto& entry : grid) {
    GridAxis axis{entry.first.as<std::string>(), {}};
    axis.values = r.list(entry.second, "grid." + axis.key);
    if (axis.values.empty()) r.fail("grid." + axis.key, "empty list: give at least one value");
    shorts.insert(short_key(axis.key));
    axes.push_back(axis);
  }
  const bool full_names = shorts.size() < axes.size();  // two axes end in the same word
  std::vector<std::vector<std::string>> names = {{}}, overrides = {{}};
  for (const auto& axis : axes) {
    std::vector<std::vector<std::string>> next_names, next_overrides;
    for (size_t i = 0; i < names.size(); ++i) {
      for (const auto& v : axis.values) {
        next_names.push_back(names[i]);
        next_names.back().push_back((full_names ? axis.key : short_key(axis.key)) + "=" + v);
        next_overrides.push_back(overrides[i]);
        next_overrides.back().push_back(axis.key + "=" + v);
      }
    }
    names = next_names;
    overrides = next_overrides;
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string name = join(names[i], ",");
    check_cell_name(r, "grid", name);
    e.cells.push_back({name, config, name, overrides[i]});
  }
  if (axes.size() == 1) {  // one numeric key: the report plots the metrics against it
    e.sweep_parameter = full_names ? axes[0].key : short_key(axes[0].key);
    for (const auto& v : axes[0].values) e.sweep_categorical |= !is_number(v);
  }
}

void check_unique_cells(const Reader& r, const ExperimentDefinition& e) {
  std::set<std::string> seen;
  for (const auto& c : e.cells) {
    if (!seen.insert(c.name).second) r.fail("cells", "two cells are named '" + c.name + "'");
  }
}

void check_baseline(const Reader& r, const YAML::Node& node, ExperimentDefinition& e) {
  e.baseline = r.text(node, "baseline");
  std::vector<std::string> names;
  for (const auto& c : e.cells) names.push_back(c.name);
  if (std::find(names.begin(), names.end(), e.baseline) == names.end()) {
    r.fail("baseline", unknown_name_message("cell", e.baseline, names));
  }
}

// `plot: {parameter: P, categorical: B}`: the report draws the metrics against P, read from each
// cell's variant "P=<number>" (reports/sweep.h), so every variant must read so.
void read_plot(const Reader& r, const YAML::Node& plot, ExperimentDefinition& e) {
  if (!plot.IsMap() || !plot["parameter"]) {
    r.fail("plot", "expected {parameter: NAME} or {parameter: NAME, categorical: true}");
  }
  r.check_keys(plot, "plot", {"parameter", "categorical"});
  e.sweep_parameter = r.text(plot["parameter"], "plot.parameter");
  e.sweep_categorical = false;
  if (plot["categorical"]) {
    const auto flag = r.text(plot["categorical"], "plot.categorical");
    if (flag != "true" && flag != "false") {
      r.fail("plot.categorical", "expected true or false, got '" + flag + "'");
    }
    e.sweep_categorical = flag == "true";
  }
  const std::string prefix = e.sweep_parameter + "=";
  for (const auto& c : e.cells) {
    if (c.variant.rfind(prefix, 0) != 0 || !is_number(c.variant.substr(prefix.size()))) {
      r.fail("plot", "cell '" + c.name + "' has variant '" + c.variant + "'; a plot over '" +
                         e.sweep_parameter + "' needs every variant to read " + prefix +
                         "<number>");
    }
  }
}

// The shipped paper experiments' own keys (paper_experiment_keys()).
void read_paper_keys(const Reader& r, const YAML::Node& root, ExperimentDefinition& e) {
  if (root["paper_table"]) {
    const auto t = r.text(root["paper_table"], "paper_table");
    if (t.size() != 1 || t[0] < '1' || t[0] > '5') {
      r.fail("paper_table", "expected the paper's table number, 1 to 5, got '" + t + "'");
    }
    e.table = t[0] - '0';
  }
  if (root["store_as"]) e.store_experiment = r.text(root["store_as"], "store_as");
}

void check_name(const Reader& r, const ExperimentDefinition& e, bool paper) {
  if (e.name.empty() || e.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
                                                 "TUVWXYZ0123456789_-") != std::string::npos) {
    r.fail("name",
           "'" + e.name + "' must be letters, digits, _ and - (it names the store's experiment)");
  }
  if (paper) return;  // the registry itself is being read: its names are these
  auto taken = experiment_names();
  taken.insert(taken.end(), {"cluster", "decompose"});
  if (std::find(taken.begin(), taken.end(), e.name) != taken.end()) {
    r.fail("name", "'" + e.name + "' is a built-in experiment; choose another name");
  }
}

std::vector<std::string> allowed_keys(bool paper) {
  auto keys = experiment_file_keys();
  if (paper)
    keys.insert(keys.end(), paper_experiment_keys().begin(), paper_experiment_keys().end());
  return keys;
}

ExperimentDefinition parse(const std::string& yaml_text, const std::string& source_name,
                           bool paper) {
  const Reader r(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& ex) {
    r.fail("", std::string("not valid YAML: ") + ex.what());
  }
  if (!root.IsMap()) r.fail("", "expected a map of keys (name, config, seeds, cells or grid, ...)");
  for (const auto& key : paper_experiment_keys()) {
    if (!paper && root[key]) r.fail(key, "only the shipped paper experiments use this key");
  }
  r.check_keys(root, "", allowed_keys(paper));
  ExperimentDefinition e;
  e.source = paper ? "" : source_name;
  e.name = root["name"] ? r.text(root["name"], "name") : fs::path(source_name).stem().string();
  check_name(r, e, paper);
  e.store_experiment = e.name;
  e.description = root["title"] ? r.text(root["title"], "title") : e.name;
  e.seeds = root["seeds"] ? r.seeds(root["seeds"]) : 5;
  if (root["outliers"]) {
    const auto policy = r.text(root["outliers"], "outliers");
    if (policy != "rule" && policy != "none") {
      r.fail("outliers", unknown_name_message("outlier policy", policy, {"rule", "none"}));
    }
    e.outlier_policy = reports::parse_outlier_policy(policy);
  }
  if (root["metrics"]) e.metrics = r.list(root["metrics"], "metrics");
  const std::string config = root["config"] ? r.text(root["config"], "config") : "";
  if (root["cells"] && root["grid"]) r.fail("", "give either cells or grid, not both");
  if (root["cells"]) {
    read_cells(r, root["cells"], config, e);
  } else if (root["grid"]) {
    read_grid(r, root["grid"], config, e);
  } else {
    r.fail("", "no cells: give `cells:` (a list) or `grid:` (keys with lists of values)");
  }
  check_unique_cells(r, e);
  if (root["baseline"]) check_baseline(r, root["baseline"], e);
  if (root["plot"]) read_plot(r, root["plot"], e);
  if (paper) read_paper_keys(r, root, e);
  return e;
}
}  // namespace

const std::vector<std::string>& experiment_file_keys() {
  static const std::vector<std::string> keys = {"name",     "title",   "config",   "seeds",
                                                "outliers", "metrics", "baseline", "cells",
                                                "grid",     "plot"};
  return keys;
}

const std::vector<std::string>& paper_experiment_keys() {
  static const std::vector<std::string> keys = {"paper_table", "store_as"};
  return keys;
}

const std::vector<std::string>& experiment_cell_keys() {
  static const std::vector<std::string> keys = {"name", "config", "variant", "set"};
  return keys;
}

ExperimentDefinition parse_experiment_file(const std::string& yaml_text,
                                           const std::string& source_name) {
  return parse(yaml_text, source_name, /*paper=*/false);
}

ExperimentDefinition parse_paper_experiment_file(const std::string& yaml_text,
                                                 const std::string& source_name) {
  return parse(yaml_text, source_name, /*paper=*/true);
}

ExperimentDefinition load_experiment_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read experiment file '" + path + "' (docs/compare.md)");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_experiment_file(text.str(), fs::absolute(path).lexically_normal().string());
}

std::string sweep_file_text(const std::string& name, const std::string& config,
                            const std::vector<GridAxis>& grid, int seeds) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << name << YAML::Key << "title"
      << YAML::Value << ("sweep of " + config) << YAML::Key << "config" << YAML::Value << config
      << YAML::Key << "seeds" << YAML::Value << seeds << YAML::Key << "outliers" << YAML::Value
      << "none" << YAML::Key << "grid" << YAML::Value << YAML::BeginMap;
  std::vector<std::string> first;
  for (const auto& axis : grid) {
    out << YAML::Key << axis.key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& v : axis.values) out << v;
    out << YAML::EndSeq;
  }
  out << YAML::EndMap << YAML::EndMap;
  // The baseline is the grid's first cell, named as read_grid() names it.
  const auto parsed = parse_experiment_file(out.c_str(), name + ".yml");
  return "# Written by runexp sweep; edit it and run it again with `runexp run <this file>`.\n" +
         std::string(out.c_str()) + "\nbaseline: \"" + parsed.cells.front().name + "\"\n";
}

ExperimentDefinition resolve_experiment(const std::string& name_or_file) {
  const auto names = experiment_names();
  if (std::find(names.begin(), names.end(), name_or_file) != names.end()) {
    return find_experiment(name_or_file);
  }
  const auto ext = fs::path(name_or_file).extension().string();
  if (ext == ".yml" || ext == ".yaml" || fs::is_regular_file(name_or_file)) {
    return load_experiment_file(name_or_file);
  }
  throw Error(unknown_name_message("experiment", name_or_file, names) +
              "; or an experiment file (FILE.yml, docs/compare.md)");
}

}  // namespace dti::experiments
