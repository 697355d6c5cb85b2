#pragma once
// SHA-256 (FIPS 180-4), used to hash fully resolved configurations so that a run is identified by
// exactly what it computed; the hex digest matches `sha256sum` on the same bytes.

#include <string>

namespace dti::reports {

/// Lower-case hexadecimal SHA-256 digest (64 characters) of `bytes`.
std::string sha256_hex(const std::string& bytes);

}  // namespace dti::reports
