// libFuzzer harness for the YAML run configs and `--set` overrides (experiments/config/config.h):
// any text must parse or end in a dti::Error naming what is wrong, never a crash, a hang or a
// yaml-cpp exception escaping. A config that parses must survive the canonical round trip
// parse_config(to_yaml(c)) == c (config.h's promise: equal configs give equal text and hash).
// Input: YAML text, optionally followed by "\n#SET\n" and one `dotted.key=value` per line.
// Seeds: the shipped experiments/configs/*.yml plus overrides. Built and run by ci/fuzz.sh.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/error.h"
#include "experiments/config/config.h"

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string marker = "\n#SET\n";
  const size_t split = input.find(marker);
  const std::string yaml = input.substr(0, split);
  const std::vector<std::string> sets =
      split == std::string::npos ? std::vector<std::string>{} : lines_of(input.substr(split + 6));
  dti::experiments::RunConfig config;
  try {
    config = dti::experiments::parse_config(yaml, "fuzz.yml", sets);
  } catch (const dti::Error&) {
    return 0;  // a clear refusal is the expected outcome for damaged input
  }
  const std::string canonical = dti::experiments::to_yaml(config);
  try {
    const dti::experiments::RunConfig again = dti::experiments::parse_config(canonical, "fuzz.yml");
    if (again != config || dti::experiments::to_yaml(again) != canonical) {
      std::fprintf(stderr, "round trip changed the config; canonical text:\n%s\n",
                   canonical.c_str());
      std::abort();
    }
  } catch (const dti::Error& e) {
    std::fprintf(stderr, "canonical YAML of an accepted config was refused: %s\n%s\n", e.what(),
                 canonical.c_str());
    std::abort();
  }
  (void)dti::experiments::config_hash(config);
  return 0;
}
