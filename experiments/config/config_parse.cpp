// Parsing: the YAML tree is walked against the schema (unknown keys get suggestions), overrides
// are applied to the tree first, then every field reads its value and the checks that involve
// several keys run.
#include <yaml-cpp/yaml.h>

#include <map>
#include <set>
#include <tuple>

#include "base/error.h"
#include "base/strings.h"
#include "core/transform.h"
#include "experiments/config/config.h"
#include "experiments/config/config_schema.h"
#include "experiments/config/config_values.h"

namespace dti::experiments::config_internal {
namespace {

std::string unknown_key_message(const std::string& prefix, const std::string& name) {
  const auto valid = children(prefix);
  const std::string best = closest_name(name, valid);
  std::string hint;
  if (!best.empty()) {
    hint = "did you mean '" + best + "'? ";
  } else {
    // The right name in the wrong section (model.batch_size, model.image_size...).
    for (const auto& f : fields()) {
      const auto dot = f.info.key.rfind('.');
      if (f.info.key.substr(dot + 1) == name) hint = "did you mean '" + f.info.key + "'? ";
    }
  }
  return "unknown key; " + hint + "valid keys " +
         (prefix.empty() ? "at the top level" : "in " + prefix) + ": " + join(valid);
}

// Walks the tree: every key must be in the schema; collects the leaves by dotted key.
void collect(const Context& context, const YAML::Node& node, const std::string& prefix, int line,
             std::map<std::string, Leaf>& leaves) {
  if (node.IsNull()) return;  // an empty section
  if (!node.IsMap()) {
    context.fail(
        prefix.empty() ? "(top level)" : prefix, line,
        "expected a section with keys (" + join(children(prefix)) + "), got " + node_text(node));
  }
  std::set<std::string> seen;
  for (const auto& entry : node) {
    const int key_line = entry.first.Mark().is_null() ? -1 : entry.first.Mark().line + 1;
    const auto name = entry.first.IsScalar() ? entry.first.Scalar() : node_text(entry.first);
    const auto key = prefix.empty() ? name : prefix + "." + name;
    if (!seen.insert(name).second) context.fail(key, key_line, "duplicate key");
    if (find_field(key) != nullptr) {
      leaves[key] = Leaf{entry.second, key_line};
    } else if (is_section(key)) {
      collect(context, entry.second, key, key_line, leaves);
    } else {
      context.fail(key, key_line, unknown_key_message(prefix, name));
    }
  }
}

YAML::Node load_yaml(const std::string& text, const std::string& what) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw Error(what + ":" + std::to_string(e.mark.line + 1) + ":" +
                std::to_string(e.mark.column + 1) + ": YAML syntax error: " + e.msg);
  }
}

// Finds the entry `name` of a map node (yaml-cpp's operator[] would insert it).
YAML::Node find_child(const YAML::Node& map, const std::string& name) {
  for (const auto& entry : map) {
    if (entry.first.IsScalar() && entry.first.Scalar() == name) return entry.second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// Sets `dotted.key=value` in the tree, creating sections as needed; returns the key.
std::string apply_override(YAML::Node& root, const std::string& source, const detail::Override& o) {
  const auto eq = o.text.find('=');
  const auto fail = [&](const std::string& message) {
    throw Error(source + ": " + o.origin + ": " + message);
  };
  if (eq == std::string::npos) fail("expected key=value, e.g. model.n_sprites=10");
  const auto key = trim(o.text.substr(0, eq));
  const auto parts = split(key, '.');
  for (const auto& part : parts) {
    if (part.empty() || part.find_first_of(" \t") != std::string::npos)
      fail("'" + key + "' is not a dotted key");
  }
  if (is_section(key))
    fail("'" + key + "' is a section; set its keys one by one (" + join(children(key)) + ")");
  const auto value = load_yaml(o.text.substr(eq + 1), source + ": " + o.origin + ": value");
  YAML::Node node = root;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    // reset() rebinds a handle; operator= on a yaml-cpp node would write through it instead.
    YAML::Node child;
    child.reset(find_child(node, parts[i]));
    if (!child.IsDefined() || child.IsNull()) {
      node[parts[i]] = YAML::Node(YAML::NodeType::Map);
      child.reset(find_child(node, parts[i]));
    } else if (!child.IsMap()) {
      fail("'" + join({parts.begin(), parts.begin() + static_cast<long>(i) + 1}, ".") +
           "' is not a section");
    }
    node.reset(child);
  }
  node[parts.back()] = value;
  return key;
}

// Module count of a sequence name; the core parser's message names the valid modules.
size_t sequence_length(const Context& context, const std::string& key, int line,
                       const std::string& sequence) {
  try {
    return core::parse_transform_sequence(sequence).size();
  } catch (const Error& e) {
    context.fail(key, line, e.what());
  }
}

int line_of(const std::map<std::string, Leaf>& leaves, const std::string& key) {
  const auto it = leaves.find(key);
  return it == leaves.end() ? -1 : it->second.line;
}

// Fails naming a key and the line it was written at (or its override).
struct Checker {
  const Context& context;
  const std::map<std::string, Leaf>& leaves;
  [[noreturn]] void fail(const std::string& key, const std::string& message) const {
    context.fail(key, line_of(leaves, key), message);
  }
};

std::string epochs_text(const RunConfig& c) {
  return "n_epoches (" + std::to_string(c.training.n_epochs) + ")";
}

// Each curriculum has one milestone per module after the first of its sequence, all in the run.
void check_curricula(const Checker& check, const RunConfig& c) {
  const auto& m = c.model;
  const std::vector<std::tuple<std::string, std::string, std::vector<int64_t>>> curricula = {
      {"model.curriculum_learning", m.transformation_sequence, m.curriculum_learning},
      {"model.curriculum_learning_bkg", m.transformation_sequence_bkg, m.curriculum_learning_bkg},
      {"model.curriculum_learning_layer", m.transformation_sequence_layer,
       m.curriculum_learning_layer}};
  for (const auto& [key, sequence, milestones] : curricula) {
    const auto sequence_key = "model.transformation_sequence" +
                              key.substr(std::string("model.curriculum_learning").size());
    const size_t n =
        sequence_length(check.context, sequence_key, line_of(check.leaves, sequence_key), sequence);
    if (!milestones.empty() && milestones.size() + 1 != n) {
      check.fail(key, format_list(milestones) + " has " + std::to_string(milestones.size()) +
                          " milestones but " + sequence_key.substr(6) + " '" + sequence + "' has " +
                          std::to_string(n) + " modules; valid: " + std::to_string(n - 1) +
                          " milestones, or False");
    }
    for (int64_t e : milestones) {
      if (e >= c.training.n_epochs)
        check.fail(key, format_list(milestones) + " switches a module on at or after " +
                            epochs_text(c) +
                            ", so it would never be trained; valid: each < n_epoches");
    }
  }
}

// Freezing and the schedule's milestones end within the run.
void check_epochs(const Checker& check, const RunConfig& c) {
  if (c.model.freeze_sprite >= c.training.n_epochs) {
    check.fail("model.freeze_sprite", std::to_string(c.model.freeze_sprite) +
                                          " freezes the sprites for the whole run of " +
                                          epochs_text(c) + "; valid: < n_epoches");
  }
  for (int64_t e : c.training.milestones) {
    if (e >= c.training.n_epochs)
      check.fail("training.scheduler.milestones",
                 format_list(c.training.milestones) + " has a milestone at or after " +
                     epochs_text(c) + ", so it would never take effect; valid: each < n_epoches");
  }
}

// The model, the protocol and the image counts agree.
void check_model_and_data(const Checker& check, const RunConfig& c) {
  const auto& m = c.model;
  if (m.lambda_empty_sprite > 0 && !m.add_empty_sprite) {
    check.fail("model.lambda_empty_sprite",
               format_double(m.lambda_empty_sprite) +
                   " has no effect without the empty sprite; valid: 0, or set "
                   "model.add_empty_sprite: true");
  }
  if (c.dataset.eval != EvalProtocol::kInstance && c.dataset.eval != EvalProtocol::kNone &&
      m.n_objects != 1) {
    check.fail("model.n_objects", std::to_string(m.n_objects) + " layers, but dataset.eval " +
                                      eval_protocol_name(c.dataset.eval) +
                                      " reads one sprite per image; valid: 1");
  }
  if (c.dataset.n_images > 0 && c.batch_size > c.dataset.n_images) {
    check.fail("training.batch_size", std::to_string(c.batch_size) + " exceeds dataset.n_images (" +
                                          std::to_string(c.dataset.n_images) +
                                          "); valid: <= n_images");
  }
  if (c.dataset.eval == EvalProtocol::kInstance && c.dataset.n_images > 0 &&
      c.dataset.eval_images > c.dataset.n_images) {
    // docs/evaluation.md: multi-object models are scored on the first images of the training set.
    check.fail("dataset.eval_images",
               std::to_string(c.dataset.eval_images) + " exceeds dataset.n_images (" +
                   std::to_string(c.dataset.n_images) +
                   ") of the training set it is taken from; valid: <= n_images");
  }
}

// Checks that involve several keys (each message names the keys, the values and what is valid).
void check_combinations(const Context& context, const std::map<std::string, Leaf>& leaves,
                        const RunConfig& c) {
  const Checker check{context, leaves};
  check_curricula(check, c);
  check_epochs(check, c);
  check_model_and_data(check, c);
}

// Every required key is there.
void check_required(const Context& context, const std::map<std::string, Leaf>& leaves) {
  for (const auto& f : fields()) {
    if (f.info.required && leaves.count(f.info.key) == 0) {
      context.fail(f.info.key, -1, "missing; every config sets it (" + f.info.description + ")");
    }
  }
}

// The fields' values on top of the defaults. The dataset's name decides the defaults of its
// section, so it is read first.
RunConfig read_fields(const Context& context, const std::map<std::string, Leaf>& leaves) {
  RunConfig c;
  const std::string name_key = "dataset.name";
  const Value name_value{context, name_key, leaves.at(name_key)};
  auto names = dataset_names();
  names.push_back("dsprites_gray");
  c.dataset = dataset_defaults(read_choice(name_value, names));
  for (const auto& f : fields()) {
    const auto it = leaves.find(f.info.key);
    if (it != leaves.end()) f.read(Value{context, f.info.key, it->second}, c);
  }
  c.model.image_size = c.dataset.image_size;
  c.model.channels = c.dataset.channels;
  return c;
}

RunConfig parse(const std::string& yaml_text, const std::string& source_name,
                const std::vector<detail::Override>& overrides) {
  YAML::Node root = load_yaml(yaml_text, source_name);
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  std::map<std::string, std::string> origins;
  for (const auto& o : overrides) {
    if (!root.IsMap()) break;  // reported below
    origins[apply_override(root, source_name, o)] = o.origin;
  }
  const Context context(source_name, origins);
  std::map<std::string, Leaf> leaves;
  collect(context, root, "", 1, leaves);
  check_required(context, leaves);
  RunConfig c = read_fields(context, leaves);
  check_combinations(context, leaves, c);
  try {
    c.model.validate();
    c.training.validate();
  } catch (const Error& e) {
    throw Error(source_name + ": " + e.what());
  }
  c.source = source_name;
  return c;
}

}  // namespace
}  // namespace dti::experiments::config_internal

namespace dti::experiments::detail {

RunConfig parse_config_with(const std::string& yaml_text, const std::string& source_name,
                            const std::vector<Override>& overrides) {
  return config_internal::parse(yaml_text, source_name, overrides);
}

}  // namespace dti::experiments::detail
