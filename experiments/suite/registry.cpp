#include "experiments/suite/registry.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"
#include "experiments/config/install_paths.h"
#include "experiments/suite/experiment_file.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  DTI_CHECK(in, "cannot read the shipped paper experiment ", path.string(),
            "; reinstall (`cmake --install`) or rebuild, which copies experiments/paper/");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The paper's experiments, read from the shipped files in order.txt's order (the order of
// `runexp list`). Each file's name must match the experiment it defines: `runexp tableN` reads
// tableN.yml.
std::vector<ExperimentDefinition> load_paper_experiments() {
  const fs::path dir = shipped_experiment_dir();
  std::istringstream order(read_text(dir / "order.txt"));
  std::vector<ExperimentDefinition> all;
  for (std::string name; std::getline(order, name);) {
    name = trim(name);
    if (name.empty() || name[0] == '#') continue;
    const fs::path file = dir / (name + ".yml");
    all.push_back(parse_paper_experiment_file(read_text(file), file.string()));
    DTI_CHECK(all.back().name == name, file.string(), " defines '", all.back().name,
              "'; order.txt lists '", name, "': a paper experiment's file is named after it");
  }
  DTI_CHECK(!all.empty(), (dir / "order.txt").string(), " lists no experiment");
  return all;
}

}  // namespace

const std::vector<ExperimentDefinition>& experiment_definitions() {
  static const std::vector<ExperimentDefinition> all = load_paper_experiments();
  return all;
}

std::vector<std::string> experiment_names() {
  std::vector<std::string> names;
  for (const auto& e : experiment_definitions()) names.push_back(e.name);
  return names;
}

const ExperimentDefinition& find_experiment(const std::string& name) {
  for (const auto& e : experiment_definitions()) {
    if (e.name == name) return e;
  }
  throw Error("unknown experiment '" + name + "'; valid: " + join(experiment_names()));
}

const CellDefinition& find_cell(const ExperimentDefinition& experiment, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& cell : experiment.cells) {
    if (cell.name == name) return cell;
    names.push_back(cell.name);
  }
  throw Error("experiment " + experiment.name + ": " + unknown_name_message("cell", name, names));
}

}  // namespace dti::experiments
