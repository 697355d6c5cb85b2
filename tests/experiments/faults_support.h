#pragma once
// Shared parts of the `faults` tests (reports/results/reliability.md, "Faults as tests"): a
// scratch folder per test, runexp started as a child process that can be SIGKILLed, SQLite
// checks on a results store, byte comparisons of files, and a small tmpfs of our own to fill
// up (root only; the tests skip cleanly elsewhere).

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace dti::test {

namespace fs = std::filesystem;

/// Whole contents of a file ("" when it cannot be read).
inline std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

/// Starts `runexp <args>` in `dir` with stdout and stderr going to `log`; returns its pid. The
/// child is runexp itself (no shell between), so SIGKILL hits the process that writes.
inline pid_t spawn_runexp(const fs::path& dir, const std::vector<std::string>& args,
                          const fs::path& log, const std::string& runexp = DTI_RUNEXP) {
  std::vector<std::string> argv_strings = {runexp};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, dir.c_str());
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, runexp.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

/// Copies runexp, its shipped configs and paper experiments to <dir>/bin/runexp and
/// <dir>/share/dtisprites/{configs,experiments} (where it looks for them) and returns the copy's
/// path: a long sweep then runs one binary from start to end, even when the build tree is rebuilt
/// meanwhile.
inline std::string frozen_runexp(const fs::path& dir) {
  const fs::path built(DTI_RUNEXP);
  const fs::path share = built.parent_path().parent_path() / "share/dtisprites";
  fs::create_directories(dir / "bin");
  fs::create_directories(dir / "share/dtisprites");
  fs::copy_file(built, dir / "bin/runexp", fs::copy_options::overwrite_existing);
  for (const char* folder : {"configs", "experiments"}) {
    fs::copy(share / folder, dir / "share/dtisprites" / folder, fs::copy_options::recursive);
  }
  return (dir / "bin/runexp").string();
}

/// Waits up to `seconds` for `pid`: its exit code, 128 + signal when killed, -1 when still
/// running (then it is not reaped).
inline int wait_for(pid_t pid, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    int status = 0;
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (done < 0 || std::chrono::steady_clock::now() >= until) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

/// Rows of a one-column-or-more SQL query on the store at `path`, each row's columns joined by
/// '|'; one "error: ..." row when the query fails. Opened read-write so that a killed writer's
/// WAL is recovered, as the next runexp would.
inline std::vector<std::string> sql_rows(const std::string& path, const std::string& query) {
  sqlite3* db = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    rows.push_back(std::string("error: ") + sqlite3_errmsg(db));
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 10000);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
    rows.push_back(std::string("error: ") + sqlite3_errmsg(db));
  } else {
    int rc = 0;
    while ((rc = sqlite3_step(statement)) == SQLITE_ROW) {
      std::string row;
      for (int c = 0; c < sqlite3_column_count(statement); ++c) {
        const auto* text = sqlite3_column_text(statement, c);
        row += (c ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "NULL");
      }
      rows.push_back(row);
    }
    if (rc != SQLITE_DONE) rows.push_back(std::string("error: ") + sqlite3_errmsg(db));
  }
  sqlite3_finalize(statement);
  sqlite3_close(db);
  return rows;
}

/// PRAGMA integrity_check of the store at `path`: "ok" when intact.
inline std::string store_integrity(const std::string& path) {
  const auto rows = sql_rows(path, "PRAGMA integrity_check");
  std::string all;
  for (const auto& r : rows) all += (all.empty() ? "" : "; ") + r;
  return all;
}

/// Rows that exist more than once where the store's design says once: a run per (experiment,
/// cell, seed, configuration), an artifact per (run, kind, path, label), a metric point per
/// (run, name, iteration). Empty when there are none.
inline std::vector<std::string> duplicate_rows(const std::string& path) {
  std::vector<std::string> found;
  for (const char* query : {"SELECT 'run', experiment_id, cell, seed, count(*) FROM runs "
                            "GROUP BY experiment_id, cell, seed, config_hash HAVING count(*) > 1",
                            "SELECT 'artifact', run_id, kind, path, count(*) FROM artifacts "
                            "GROUP BY run_id, kind, path, label HAVING count(*) > 1",
                            "SELECT 'metric', run_id, name, iteration, count(*) FROM metrics "
                            "GROUP BY run_id, name, ifnull(iteration, -1) HAVING count(*) > 1"}) {
    for (const auto& row : sql_rows(path, query)) found.push_back(row);
  }
  return found;
}

/// Whether a file name is a writer's temporary (`*.tmp*`, `*.partial*`, `*.previous.<pid>`);
/// `checkpoint.ckpt.previous`, the kept fallback checkpoint, is not.
inline bool is_temporary_name(const std::string& name) {
  return name.find(".tmp") != std::string::npos || name.find(".partial") != std::string::npos ||
         name.find(".previous.") != std::string::npos;
}

/// Temporaries anywhere under `root` (paths relative to it).
inline std::vector<std::string> temporaries_under(const fs::path& root) {
  std::vector<std::string> found;
  std::error_code error;
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    if (is_temporary_name(it->path().filename().string()))
      found.push_back(fs::relative(it->path(), root).string());
  }
  return found;
}

/// Sets the modification time of every temporary under `root` (and of what is inside a
/// temporary folder) `seconds` into the past: runexp removes a dead process's temporaries only
/// once nobody has written them for 10 minutes (a folder shared with other hosts may hold their
/// live ones), so a test that cannot wait ages them instead. Returns how many it aged.
inline int age_temporaries(const fs::path& root, double seconds) {
  const auto then =
      fs::file_time_type::clock::now() - std::chrono::duration_cast<fs::file_time_type::duration>(
                                             std::chrono::duration<double>(seconds));
  int aged = 0;
  std::error_code error;
  std::vector<fs::path> temporaries;
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    if (is_temporary_name(it->path().filename().string())) temporaries.push_back(it->path());
  }
  for (const auto& path : temporaries) {
    std::error_code ignored;
    if (fs::is_directory(path, ignored)) {
      for (fs::recursive_directory_iterator it(path, ignored), end; !ignored && it != end;
           it.increment(ignored))
        fs::last_write_time(it->path(), then, ignored);
    }
    fs::last_write_time(path, then, ignored);
    ++aged;
  }
  return aged;
}

/// A scratch folder per test, unique per process so that tests may run side by side; removed
/// when the test passed (kept for a look when it failed).
class FaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("dti_faults_" + std::string(info->test_suite_name()) + "_" +
                                        info->name() + "_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    unmount();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  /// Mounts a tmpfs of `bytes` at <scratch>/<name>; false (with the reason in `why`) when this
  /// process may not mount (not root, or no CAP_SYS_ADMIN in a container).
  bool mount_tmpfs(const std::string& name, size_t bytes, std::string* why) {
    if (::geteuid() != 0) {
      *why = "needs root to mount a small tmpfs";
      return false;
    }
    mount_ = dir_ / name;
    fs::create_directories(mount_);
    const std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", mount_.c_str(), "tmpfs", 0, options.c_str()) != 0) {
      *why = std::string("cannot mount a tmpfs: ") + std::strerror(errno);
      mount_.clear();
      return false;
    }
    return true;
  }

  /// Fills the tmpfs with <mount>/filler until a write fails with ENOSPC.
  void fill() const {
    const int fd = ::open((mount_ / "filler").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    ASSERT_GE(fd, 0);
    std::vector<char> block(1 << 16, 'x');
    for (size_t size = block.size(); size > 0;) {
      const ssize_t n = ::write(fd, block.data(), size);
      if (n < 0) {
        ASSERT_EQ(errno, ENOSPC);
        size /= 2;
      }
    }
    ::close(fd);
  }

  /// Frees what fill() took.
  void unfill() const { fs::remove(mount_ / "filler"); }

  void unmount() {
    if (mount_.empty()) return;
    ::umount2(mount_.c_str(), MNT_DETACH);
    mount_.clear();
  }

  fs::path dir_;
  fs::path mount_;
};

/// Skips the current test (a plain return from it) when no tmpfs can be mounted here.
#define DTI_MOUNT_TMPFS_OR_SKIP(name, bytes)                    \
  do {                                                          \
    std::string why_;                                           \
    if (!mount_tmpfs(name, bytes, &why_)) GTEST_SKIP() << why_; \
  } while (0)

}  // namespace dti::test
