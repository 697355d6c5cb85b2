#pragma once
// Writing files so that a reader never sees half of one: the bytes go to a temporary name in the
// same folder, are flushed, and the file is renamed over the target when complete.

#include <string>

namespace dti::reports {

/// Writes `bytes` to `path` atomically (temporary file + rename); creates missing parent folders.
void write_file_atomically(const std::string& path, const std::string& bytes);

/// Reads a whole file; throws naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace dti::reports
