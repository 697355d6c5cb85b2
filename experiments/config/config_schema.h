#pragma once
// Internal to the configuration layer: the schema, one Field per accepted key in the canonical
// order of to_yaml(), each with its codec (how the value is read into a RunConfig and written
// back). The table is in config_schema.cpp: the one place to add a key.

#include <functional>
#include <string>
#include <vector>

#include "experiments/config/config.h"
#include "experiments/config/config_values.h"

namespace dti::experiments::config_internal {

/// Stores a checked value into the configuration.
using Read = std::function<void(const Value&, RunConfig&)>;
/// The canonical text of the value (to_yaml()).
using Write = std::function<std::string(const RunConfig&)>;

/// One accepted key.
struct Field {
  ConfigKey info;
  Read read;
  /// Absent for keys that are not emitted (no effect, or a single valid value).
  Write write;
};

/// Every accepted key, in canonical order.
const std::vector<Field>& fields();

/// The field of a full dotted key; nullptr when there is none.
const Field* find_field(const std::string& key);

/// Whether `key` names a section (a prefix of other keys; "" is the top level).
bool is_section(const std::string& key);

/// Names valid directly under section `prefix` ("" = top level), in schema order.
std::vector<std::string> children(const std::string& prefix);

/// Names of the evaluation protocols, in EvalProtocol order.
const std::vector<std::string>& eval_protocol_names();

}  // namespace dti::experiments::config_internal
