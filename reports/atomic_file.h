#pragma once
// Writing files so that a reader never sees half of one: the bytes go to a temporary name in the
// same folder, are flushed, and the file is renamed over the target when complete.

#include <string>
#include <vector>

namespace dti::reports {

/// Writes `bytes` to `path` atomically (temporary file + rename); creates missing parent folders.
void write_file_atomically(const std::string& path, const std::string& bytes);

/// Reads a whole file; throws naming the path when it cannot be read.
std::string read_file(const std::string& path);

/// The pid in a temporary name this suite writes (`<name>.tmp.<pid>`, `<name>.tmp-<pid>`,
/// `<name>.partial-<pid>[.png]`, `<name>.partial.<pid>`, `<name>.previous.<pid>`), or 0.
long temporary_owner(const std::string& file_name);

/// Removes the temporaries under `folder` (recursively when asked) whose writing process is dead
/// on this host and that nothing has modified for `min_idle_seconds` (a folder shared with other
/// hosts may hold their live ones); a live process's files are kept. A report's
/// `<name>.previous.<pid>` is moved back to `<name>` when a kill between the two renames left
/// `<name>` missing. Returns the paths removed or restored; never throws (a folder that cannot be
/// read is skipped).
std::vector<std::string> remove_dead_temporaries(const std::string& folder, bool recursive,
                                                 double min_idle_seconds = 600.0);

}  // namespace dti::reports
