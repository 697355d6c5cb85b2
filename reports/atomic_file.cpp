#include "reports/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.h"

namespace dti::reports {

void write_file_atomically(const std::string& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  std::error_code error;
  if (target.has_parent_path()) fs::create_directories(target.parent_path(), error);
  DTI_CHECK(!error, "cannot create folder '", target.parent_path().string(), "' for '", path,
            "': ", error.message());
  // The pid keeps concurrent writers of the same file from sharing a temporary name.
  const std::string temporary = path + ".tmp." + std::to_string(getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  DTI_CHECK(fd >= 0, "cannot write '", temporary, "': ", std::strerror(errno),
            " (check that the folder is writable)");
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(temporary.c_str());
      throw Error("cannot write '" + temporary + "': " + reason + " (disk full?)");
    }
    written += static_cast<size_t>(n);
  }
  // fsync before rename: after a crash the target is either the old file or the complete new one.
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced || ::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temporary.c_str());
    throw Error("cannot finish writing '" + path + "': " + reason);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  DTI_CHECK(file, "cannot read '", path, "': ", std::strerror(errno));
  std::ostringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

long temporary_owner(const std::string& file_name) {
  static const char* const kMarkers[] = {".tmp.", ".tmp-", ".partial-", ".partial.", ".previous."};
  for (const char* marker : kMarkers) {
    const size_t at = file_name.rfind(marker);
    if (at == std::string::npos || at == 0) continue;
    std::string digits = file_name.substr(at + std::strlen(marker));
    // image_io writes `<name>.partial-<pid>.png` so that the encoder sees the extension.
    if (digits.size() > 4 && digits.compare(digits.size() - 4, 4, ".png") == 0) {
      digits.resize(digits.size() - 4);
    }
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string::npos)
      continue;
    return std::stol(digits);
  }
  return 0;
}

namespace {

bool process_gone(long pid) { return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH; }

// Seconds since `entry` (or, for a folder, anything inside it) was last modified.
double idle_seconds(const std::filesystem::path& entry) {
  namespace fs = std::filesystem;
  std::error_code error;
  auto newest = fs::last_write_time(entry, error);
  if (error) return 0.0;
  if (fs::is_directory(fs::symlink_status(entry, error))) {
    for (fs::recursive_directory_iterator it(entry, error), end; !error && it != end;
         it.increment(error)) {
      std::error_code ignored;
      newest = std::max(newest, fs::last_write_time(it->path(), ignored));
    }
  }
  return std::chrono::duration<double>(fs::file_time_type::clock::now() - newest).count();
}

// Cleans one entry when it is a dead process's temporary; appends what it did to `done`.
void clean_entry(const std::filesystem::path& entry, double min_idle_seconds,
                 std::vector<std::string>& done) {
  namespace fs = std::filesystem;
  const std::string name = entry.filename().string();
  const long pid = temporary_owner(name);
  if (pid <= 0 || pid == static_cast<long>(getpid()) || !process_gone(pid)) return;
  // A folder shared between hosts (Slurm) may hold another host's live temporaries, whose pid
  // means nothing here: only files nobody has written for a while are taken as abandoned.
  if (idle_seconds(entry) < min_idle_seconds) return;
  std::error_code error;
  const size_t previous = name.rfind(".previous.");
  if (previous != std::string::npos) {
    // html_report renames the old report to .previous.<pid> before moving the new one in.
    const fs::path target = entry.parent_path() / name.substr(0, previous);
    if (!fs::exists(target, error)) {
      fs::rename(entry, target, error);
      if (!error) done.push_back(target.string());
      return;
    }
  }
  fs::remove_all(entry, error);
  if (!error) done.push_back(entry.string());
}

}  // namespace

std::vector<std::string> remove_dead_temporaries(const std::string& folder, bool recursive,
                                                 double min_idle_seconds) {
  namespace fs = std::filesystem;
  std::vector<std::string> done;
  std::error_code error;
  std::vector<fs::path> entries;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    entries.push_back(it->path());
  }
  for (const fs::path& entry : entries) {
    if (temporary_owner(entry.filename().string()) > 0) {
      clean_entry(entry, min_idle_seconds, done);
    } else if (recursive && fs::is_directory(fs::symlink_status(entry, error))) {
      const auto inner = remove_dead_temporaries(entry.string(), true, min_idle_seconds);
      done.insert(done.end(), inner.begin(), inner.end());
    }
  }
  return done;
}

}  // namespace dti::reports
