#include "experiments/config/config.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/sha256.h"
#include "base/strings.h"
#include "datasets/catalogue.h"
#include "experiments/config/config_schema.h"
#include "experiments/config/install_paths.h"

// The public face of the configuration layer: datasets and their defaults, where configs live,
// the canonical text and its hash. The keys are in config_schema.cpp, the typed readers in
// config_values.cpp, parsing and the checks across keys in config_parse.cpp.

namespace dti::experiments {

bool operator==(const RunConfig& a, const RunConfig& b) { return to_yaml(a) == to_yaml(b); }
bool operator!=(const RunConfig& a, const RunConfig& b) { return !(a == b); }

std::vector<std::string> dataset_names() { return datasets::known_dataset_names(); }

// A dataset's defaults are its catalogue entry (datasets/catalogue.cpp): image size, images to
// use (the paper's training set size for generated data, else the whole file), images to score
// and the evaluation protocol.
DatasetConfig dataset_defaults(const std::string& name) {
  const datasets::DatasetEntry* d = datasets::find_dataset(name);
  if (d == nullptr) {
    throw Error("unknown dataset '" + name + "'; valid: " + join(dataset_names()) +
                " (dsprites_gray = multi_dsprites)");
  }
  DatasetConfig out;
  out.name = d->name;
  out.file = d->name + ".h5";
  out.image_size = {d->image_size, d->image_size};
  out.n_images = d->default_images;
  out.eval_images = d->eval_images;
  const auto& protocols = config_internal::eval_protocol_names();
  const auto protocol = std::find(protocols.begin(), protocols.end(), d->eval_protocol);
  DTI_CHECK(protocol != protocols.end(), "catalogue entry ", d->name,
            ": unknown evaluation protocol '", d->eval_protocol, "'");
  out.eval = static_cast<EvalProtocol>(protocol - protocols.begin());
  return out;
}

std::string default_config_dir() {
  if (const char* dir = std::getenv("DTI_CONFIG_DIR"); dir != nullptr && *dir != '\0') return dir;
  return shipped_config_dir();
}

std::string resolve_config_path(const std::string& name_or_path) {
  const auto ends_with = [&](const std::string& suffix) {
    return name_or_path.size() >= suffix.size() &&
           name_or_path.compare(name_or_path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (name_or_path.find('/') != std::string::npos || ends_with(".yml") || ends_with(".yaml"))
    return name_or_path;
  return default_config_dir() + "/" + name_or_path + ".yml";
}

RunConfig load_config(const std::string& path, const std::vector<std::string>& overrides) {
  return detail::parse_config_with(detail::read_text_file(path), path,
                                   detail::user_overrides(overrides));
}

RunConfig parse_config(const std::string& yaml_text, const std::string& source_name,
                       const std::vector<std::string>& overrides) {
  return detail::parse_config_with(yaml_text, source_name, detail::user_overrides(overrides));
}

namespace detail {

std::vector<Override> user_overrides(const std::vector<std::string>& overrides) {
  std::vector<Override> out;
  for (const auto& text : overrides) out.push_back({text, "--set " + text});
  return out;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error("cannot read config '" + path + "'; shipped configs are in " +
                default_config_dir() + " (names: " + join(dataset_names()) + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace detail

// Every emitted field in schema order, each section opened once by its keys' common prefix.
std::string to_yaml(const RunConfig& config) {
  std::ostringstream out;
  std::vector<std::string> open;  // sections currently open
  for (const auto& f : config_internal::fields()) {
    if (!f.write) continue;
    const auto text = f.write(config);
    if (text.empty()) continue;  // an option at its default that is written only when set
    const auto parts = split(f.info.key, '.');
    size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common])
      ++common;
    open.resize(common);
    for (size_t i = common; i + 1 < parts.size(); ++i) {
      out << std::string(2 * i, ' ') << parts[i] << ":\n";
      open.push_back(parts[i]);
    }
    out << std::string(2 * (parts.size() - 1), ' ') << parts.back() << ": " << text << "\n";
  }
  return out.str();
}

std::string config_hash(const RunConfig& config) { return dti::sha256_hex(to_yaml(config)); }

}  // namespace dti::experiments
