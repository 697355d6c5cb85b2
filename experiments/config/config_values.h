#pragma once
// Internal to the configuration layer (config.cpp, config_schema.cpp, config_parse.cpp): the typed
// readers of one YAML value and the canonical text of each type. Every reader checks the type and
// the range and fails with "<file>:<line>: <dotted.key>: ..." naming what is valid.

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <limits>
#include <locale>
#include <map>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

namespace dti::experiments::config_internal {

/// Upper bound of the integer readers, and "no upper bound" of the double reader.
constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();

// ---------------------------------------------------------------------------------------------
// Canonical text (to_yaml). Locale-independent: the text, and so the hash, must not depend on the
// process's locale.

/// Shortest decimal text that reads back as the same double, with ".0" added to whole numbers.
std::string format_double(double value);
/// [a, b, c]; doubles as format_double() writes them.
std::string format_list(const std::vector<int64_t>& values);
std::string format_list(const std::vector<double>& values);
/// [h, w].
std::string format_pair(const std::array<int64_t, 2>& pair);
/// true / false.
std::string format_bool(bool value);
/// A name, quoted by the YAML emitter when YAML would read it as something else.
std::string format_string(const std::string& value);
/// A node's value as the user wrote it, for messages: 'text', [flow, list] or (nothing).
std::string node_text(const YAML::Node& node);

// ---------------------------------------------------------------------------------------------
// Where values come from.

/// One value of the tree, by dotted key.
struct Leaf {
  YAML::Node value;
  int line = -1;  ///< 1-based line of the key in the file; -1 when created by an override.
};

/// The source of a configuration and the origin of every overridden key; formats every message as
/// "<file>:<line>: <dotted.key>: ..." or "<file>: <dotted.key> (from --set ...): ...".
class Context {
 public:
  Context(std::string source, std::map<std::string, std::string> origins);
  const std::string& source() const { return source_; }
  /// The prefix of a message about `key` (written at `line`, -1 when unknown).
  std::string where(const std::string& key, int line = -1) const;
  /// Throws dti::Error "<where>: <message>".
  [[noreturn]] void fail(const std::string& key, int line, const std::string& message) const;

 private:
  std::string source_;
  std::map<std::string, std::string> origins_;  // overridden key -> e.g. "--set k=v"
};

/// A value being read: its key, its node and where it was written.
struct Value {
  const Context& context;
  const std::string& key;
  const Leaf& leaf;
  [[noreturn]] void fail(const std::string& message) const;
  /// Fails with "expected <what>, got <the value>".
  [[noreturn]] void expected(const std::string& what) const;
};

// ---------------------------------------------------------------------------------------------
// Readers.

/// Whether a node is a plain (unquoted) scalar: numbers and booleans must be, as in YAML.
bool plain_scalar(const YAML::Node& node);

/// A plain scalar as a decimal number, all of it, read with the classic locale (yaml-cpp's own
/// conversions follow the global C++ locale). Unsigned types refuse a leading '-'.
template <typename T>
bool parse_number(const YAML::Node& node, T& out) {
  if (!plain_scalar(node)) return false;
  const auto& text = node.Scalar();
  if (std::is_unsigned_v<T> && !text.empty() && text[0] == '-') return false;  // would wrap
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  return static_cast<bool>(in >> out) && in.peek() == std::char_traits<char>::eof();
}

/// An integer in [lo, hi].
int64_t read_int(const Value& v, int64_t lo, int64_t hi = kMaxInt);
/// A finite number >= lo (> lo when `lo_open`) and <= hi.
double read_double(const Value& v, double lo, bool lo_open,
                   double hi = static_cast<double>(kMaxInt));
/// true or false (YAML's spellings: yes, no, True...).
bool read_bool(const Value& v);
/// A non-empty scalar.
std::string read_string(const Value& v);
/// One of `valid`; anything else fails with "unknown value 'x'; valid: ...".
std::string read_choice(const Value& v, const std::vector<std::string>& valid);
/// Index in `valid` of the name read_choice() reads.
size_t read_choice_index(const Value& v, const std::vector<std::string>& valid);
/// Non-decreasing epochs >= lo; `none_ok` also accepts the authors' `False` (or nothing): none.
std::vector<int64_t> read_milestones(const Value& v, int64_t lo, bool none_ok);
/// [h, w] with both > 0, or [0, 0] when `zero_means` (its meaning) is not empty.
std::array<int64_t, 2> read_size(const Value& v, const std::string& zero_means);
/// One factor > 0 or a list of 2 ([sprites, networks]).
std::vector<double> read_gamma(const Value& v);

}  // namespace dti::experiments::config_internal
