#include "reports/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
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

}  // namespace dti::reports
