#include "datasets/provenance.h"

#include <cstdio>
#include <string>

#include "datasets/dataset_file.h"

namespace dti::datasets {
namespace {

// Version of this software, recorded with every file: the layout version of dataset_file.h.
const std::string kSoftware = "dtisprites datasets (format " + std::to_string(kFormatVersion) + ")";

}  // namespace

std::string json_quote(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string generator_provenance(const std::string& generator, int generator_version, uint64_t seed,
                                 int64_t count, const std::string& extra) {
  std::string out = "{\"kind\":\"generator\",\"generator\":" + json_quote(generator) +
                    ",\"generator_version\":" + std::to_string(generator_version) +
                    ",\"seed\":" + std::to_string(seed) + ",\"count\":" + std::to_string(count);
  if (!extra.empty()) out += "," + extra;
  return out + ",\"software\":" + json_quote(kSoftware) + "}";
}

std::string converter_provenance(const std::string& converter,
                                 const std::vector<InputDigest>& inputs, const std::string& extra) {
  std::string out =
      "{\"kind\":\"converter\",\"converter\":" + json_quote(converter) + ",\"inputs\":[";
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto& in = inputs[i];
    out += (i ? "," : "") + std::string("{\"path\":") + json_quote(in.path) +
           ",\"type\":" + (in.directory ? "\"folder\"" : "\"file\"") +
           ",\"files\":" + std::to_string(in.files) + ",\"bytes\":" + std::to_string(in.bytes) +
           ",\"sha256\":" + json_quote(in.sha256) + "}";
  }
  out += "]";
  if (!extra.empty()) out += "," + extra;
  return out + ",\"software\":" + json_quote(kSoftware) + "}";
}

}  // namespace dti::datasets
