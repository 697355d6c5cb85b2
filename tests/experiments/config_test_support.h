#pragma once
// What the configuration tests share: the shipped config names, file helpers and the message of
// a parse error (through tests/support/expect_error.h).

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "base/error.h"
#include "experiments/config/config.h"
#include "tests/support/expect_error.h"

namespace dti::experiments {
// gtest prints a RunConfig as its canonical YAML.
inline void PrintTo(const RunConfig& config, std::ostream* out) { *out << "\n" << to_yaml(config); }
}  // namespace dti::experiments

namespace dti::test {

using experiments::EvalProtocol;
using experiments::RunConfig;

inline const std::vector<std::string> kShipped = {
    "tetrominoes", "multi_dsprites", "multi_dsprites2", "clevr6",
    "gtsrb8",      "svhn",           "weizmann_horse"};

inline std::string path_of(const std::string& name) {
  return experiments::resolve_config_path(name);
}

inline std::string read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// `text` with the line `from` replaced by `to` (which may span lines); fails if absent.
inline std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "missing '" << from << "'";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// 1-based line of the first occurrence of `needle`.
inline int line_of(const std::string& text, const std::string& needle) {
  const auto at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

// The message of the dti::Error that `f` throws ("" and a failure when it throws none).
inline std::string error_of(const std::function<void()>& f) {
  const std::string message = error_message(f);
  if (message.empty()) ADD_FAILURE() << "no dti::Error thrown";
  return message;
}

inline std::string parse_error(const std::string& text, const std::string& source,
                               const std::vector<std::string>& overrides = {}) {
  return error_of([&] { experiments::parse_config(text, source, overrides); });
}

}  // namespace dti::test

#define EXPECT_HAS(message, part) EXPECT_CONTAINS(message, part)
