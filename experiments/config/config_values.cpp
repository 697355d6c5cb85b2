#include "experiments/config/config_values.h"

#include <algorithm>
#include <cmath>
#include <iomanip>

#include "base/error.h"
#include "base/strings.h"

namespace dti::experiments::config_internal {
namespace {

template <typename T>
std::string format_items(const std::vector<T>& values) {
  std::vector<std::string> items;
  for (const auto& v : values) {
    if constexpr (std::is_floating_point_v<T>) {
      items.push_back(format_double(v));
    } else {
      items.push_back(std::to_string(v));
    }
  }
  return "[" + join(items) + "]";
}

std::string range_text(double lo, double hi, bool lo_open) {
  std::ostringstream out;
  out.imbue(std::locale::classic());
  const bool has_hi = hi < static_cast<double>(kMaxInt);
  if (lo_open) {
    out << "> " << lo;
  } else if (has_hi) {
    out << "in [" << lo << ", " << hi << "]";
    return out.str();
  } else {
    out << ">= " << lo;
  }
  if (has_hi) out << " and <= " << hi;
  return out.str();
}

// A list of `count` integers (count 0 = any length) each >= lo; `none_ok` also accepts the
// authors' `False` (and an empty value) for "no milestones".
std::vector<int64_t> read_int_list(const Value& v, int64_t lo, size_t count, bool none_ok,
                                   const std::string& what) {
  const auto& node = v.leaf.value;
  if (none_ok && node.IsNull()) return {};
  bool flag = true;
  if (none_ok && plain_scalar(node) && YAML::convert<bool>::decode(node, flag)) {
    if (flag) v.expected(what);
    return {};
  }
  if (!node.IsSequence() || (count > 0 && node.size() != count)) v.expected(what);
  std::vector<int64_t> out;
  for (const auto& item : node) {
    int64_t x = 0;
    if (!parse_number(item, x)) v.expected(what);
    if (x < lo) v.fail(node_text(node) + " is out of range; valid: " + what);
    out.push_back(x);
  }
  return out;
}

}  // namespace

// Streams use the classic locale; the precision grows until the text reads back exactly, so
// to_yaml round-trips and stays readable (1e-04 rather than 0.00010000000000000000479).
std::string format_double(double value) {
  std::string text;
  for (int precision = 1; precision <= 17; ++precision) {
    std::ostringstream out;
    out.imbue(std::locale::classic());
    out << std::setprecision(precision) << value;
    text = out.str();
    std::istringstream in(text);
    in.imbue(std::locale::classic());
    double back = 0;
    if (in >> back && back == value) break;
  }
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string format_list(const std::vector<int64_t>& values) { return format_items(values); }
std::string format_list(const std::vector<double>& values) { return format_items(values); }

std::string format_pair(const std::array<int64_t, 2>& pair) {
  return format_list(std::vector<int64_t>{pair[0], pair[1]});
}

std::string format_bool(bool value) { return value ? "true" : "false"; }

std::string format_string(const std::string& value) {
  YAML::Emitter out;
  out << value;
  return out.c_str();
}

std::string node_text(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "(nothing)";
  if (node.IsScalar()) return "'" + node.Scalar() + "'";
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

Context::Context(std::string source, std::map<std::string, std::string> origins)
    : source_(std::move(source)), origins_(std::move(origins)) {}

std::string Context::where(const std::string& key, int line) const {
  // An override of the key itself, or of a section below it (unknown keys of overrides).
  for (const auto& [overridden, origin] : origins_) {
    if (overridden == key || overridden.rfind(key + ".", 0) == 0) {
      return source_ + ": " + key + " (from " + origin + ")";
    }
  }
  if (line > 0) return source_ + ":" + std::to_string(line) + ": " + key;
  return source_ + ": " + key;
}

void Context::fail(const std::string& key, int line, const std::string& message) const {
  throw Error(where(key, line) + ": " + message);
}

void Value::fail(const std::string& message) const { context.fail(key, leaf.line, message); }

void Value::expected(const std::string& what) const {
  fail("expected " + what + ", got " + node_text(leaf.value));
}

bool plain_scalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() != "!"; }

int64_t read_int(const Value& v, int64_t lo, int64_t hi) {
  const auto range = range_text(static_cast<double>(lo), static_cast<double>(hi), false);
  int64_t out = 0;
  if (!parse_number(v.leaf.value, out)) v.expected("an integer " + range);
  if (out < lo || out > hi) v.fail(std::to_string(out) + " is out of range; valid: " + range);
  return out;
}

double read_double(const Value& v, double lo, bool lo_open, double hi) {
  const auto range = range_text(lo, hi, lo_open);
  double out = 0;
  if (!parse_number(v.leaf.value, out) || !std::isfinite(out)) v.expected("a number " + range);
  if (out < lo || (lo_open && out == lo) || out > hi) {
    v.fail(format_double(out) + " is out of range; valid: " + range);
  }
  return out;
}

bool read_bool(const Value& v) {
  if (!plain_scalar(v.leaf.value)) v.expected("true or false");
  try {
    return v.leaf.value.as<bool>();
  } catch (const YAML::Exception&) {
    v.expected("true or false");
  }
}

std::string read_string(const Value& v) {
  if (!v.leaf.value.IsScalar() || v.leaf.value.Scalar().empty()) v.expected("a name");
  return v.leaf.value.Scalar();
}

std::string read_choice(const Value& v, const std::vector<std::string>& valid) {
  return valid[read_choice_index(v, valid)];
}

size_t read_choice_index(const Value& v, const std::vector<std::string>& valid) {
  const auto text = read_string(v);
  const auto it = std::find(valid.begin(), valid.end(), text);
  if (it == valid.end()) v.fail("unknown value '" + text + "'; valid: " + join(valid));
  return static_cast<size_t>(it - valid.begin());
}

std::vector<int64_t> read_milestones(const Value& v, int64_t lo, bool none_ok) {
  const auto what = std::string("a list of non-decreasing epochs >= ") + std::to_string(lo) +
                    (none_ok ? " (or False: none)" : "");
  auto out = read_int_list(v, lo, 0, none_ok, what);
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i] < out[i - 1]) v.fail(node_text(v.leaf.value) + " decreases; valid: " + what);
  }
  return out;
}

std::array<int64_t, 2> read_size(const Value& v, const std::string& zero_means) {
  const auto what =
      "[h, w] with both > 0" + (zero_means.empty() ? "" : ", or [0, 0] (" + zero_means + ")");
  const auto list = read_int_list(v, 0, 2, false, "a list of 2 integers " + what);
  const bool zero = list[0] == 0 && list[1] == 0;
  if (!(list[0] > 0 && list[1] > 0) && !(zero && !zero_means.empty())) {
    v.fail(node_text(v.leaf.value) + " is out of range; valid: " + what);
  }
  return {list[0], list[1]};
}

std::vector<double> read_gamma(const Value& v) {
  const auto what = "a factor > 0, or a list of 2 ([sprites, networks])";
  const auto& node = v.leaf.value;
  std::vector<YAML::Node> items;
  if (node.IsSequence()) {
    if (node.size() < 1 || node.size() > 2) v.expected(what);
    for (const auto& item : node) items.push_back(item);
  } else {
    items.push_back(node);
  }
  std::vector<double> out;
  for (const auto& item : items) {
    double g = 0;
    if (!parse_number(item, g)) v.expected(what);
    if (!(g > 0) || !std::isfinite(g)) v.fail(node_text(node) + " is out of range; valid: " + what);
    out.push_back(g);
  }
  return out;
}

}  // namespace dti::experiments::config_internal
