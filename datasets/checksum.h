#pragma once
// Checksums recorded in a dataset's provenance: SHA-256 of every input file (the same digest
// `sha256sum` prints), and of whole input folders.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/sha256.h"

namespace dti::datasets {

/// Incremental SHA-256 (the suite's one implementation, core/sha256.h).
using Sha256 = dti::Sha256;

/// Size and SHA-256 of one input, as recorded in the provenance.
struct InputDigest {
  std::string path;        ///< Path as given by the user.
  bool directory = false;  ///< Whether the input is a folder.
  int64_t files = 1;       ///< Number of regular files hashed (1 for a file).
  int64_t bytes = 0;       ///< Total size in bytes.
  std::string sha256;      ///< File: SHA-256 of its bytes. Folder: see digest_input().
};

/// Called with the number of bytes hashed so far (for progress).
using BytesCallback = std::function<void(int64_t)>;

/// Digest of a file, or of a folder: SHA-256 over the sorted relative paths of its regular files,
/// each followed by a NUL and its own hex SHA-256 and a newline. Throws dti::Error when unreadable.
InputDigest digest_input(const std::string& path, const BytesCallback& on_bytes = {});

/// Same as digest_input() for a folder, restricted to the given files (paths relative to `root`).
InputDigest digest_files(const std::string& root, const std::vector<std::string>& relative_paths,
                         const BytesCallback& on_bytes = {});

}  // namespace dti::datasets
