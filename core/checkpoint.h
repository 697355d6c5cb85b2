#pragma once
// Checkpoint files: named tensors plus string metadata, written atomically (temporary file,
// fsync, rename) and checked on load (magic, version, CRC-32 of the whole payload), so an
// interrupted write never replaces a good checkpoint and a damaged file is reported as such. The
// checkpoint replaced is kept as `<path>.previous`, the fallback when the latest is damaged.
//
// Layout (little endian): "DTICKPT\0", u32 version, u32 #metadata, {str key, str value}*,
// u32 #tensors, {str name, u8 dtype, u32 ndim, i64 dims[ndim], u64 nbytes, bytes}*, u32 crc32.
// str = u32 length + bytes. dtype: 0 float32, 1 float64, 2 int64, 3 uint8, 4 bool.

#include <ATen/ATen.h>

#include <map>
#include <string>
#include <vector>

#include "core/parameters.h"

namespace dti::core {

/// The contents of a checkpoint.
struct Checkpoint {
  std::map<std::string, std::string> metadata;  ///< Counters, configuration, versions.
  std::vector<NamedTensor> tensors;             ///< Saved as contiguous CPU copies.

  /// The tensor named `name`; throws dti::Error naming the file's contents when absent.
  const at::Tensor& tensor(const std::string& name) const;
  /// Whether a tensor named `name` is present.
  bool has_tensor(const std::string& name) const;
  /// Metadata value `key`; throws dti::Error when absent.
  const std::string& meta(const std::string& key) const;
};

/// Writes `checkpoint` to `path` atomically (parent directory must exist).
void save_checkpoint(const std::string& path, const Checkpoint& checkpoint);

/// Reads a checkpoint written by save_checkpoint; throws dti::Error for a missing, truncated or
/// corrupt file, naming the path and what is wrong.
Checkpoint load_checkpoint(const std::string& path);

/// Where save_checkpoint() keeps the checkpoint it replaced: `<path>.previous`.
std::string previous_checkpoint_path(const std::string& path);

/// Loads `path`, or, when it is missing or damaged, previous_checkpoint_path(path). Sets
/// `loaded_from` to the file used and `problem` to why the latest was not (unchanged when it
/// was). Throws dti::Error saying what to delete to start over when neither can be read.
Checkpoint load_checkpoint_or_previous(const std::string& path, std::string* loaded_from,
                                       std::string* problem);

/// Copies each tensor of `into` from the same-named tensor of `from` (shape checked), in place.
/// Throws dti::Error listing missing names unless `allow_missing`.
void copy_named(const Checkpoint& from, const std::vector<NamedTensor>& into,
                bool allow_missing = false);

}  // namespace dti::core
