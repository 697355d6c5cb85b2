#pragma once
// The `provenance` attribute: a JSON object saying how a dataset file was made, e.g.
//   {"kind":"generator","generator":"tetrominoes","generator_version":1,"seed":0,"count":60000,...}
//   {"kind":"converter","converter":"svhn","inputs":[{"path":...,"bytes":...,"sha256":...}],...}

#include <cstdint>
#include <string>
#include <vector>

#include "datasets/checksum.h"

namespace dti::datasets {

/// `text` as a quoted JSON string.
std::string json_quote(const std::string& text);

/// Provenance of a generated file; `extra` holds further `"key":value` pairs (may be empty).
std::string generator_provenance(const std::string& generator, int generator_version, uint64_t seed,
                                 int64_t count, const std::string& extra = "");

/// Provenance of a converted file; `extra` holds further `"key":value` pairs (may be empty).
std::string converter_provenance(const std::string& converter,
                                 const std::vector<InputDigest>& inputs,
                                 const std::string& extra = "");

}  // namespace dti::datasets
