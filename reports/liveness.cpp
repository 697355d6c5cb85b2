#include "reports/liveness.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <sstream>
#include <utility>

namespace dti::reports {
namespace {

// Clock granularity of /proc start times (ticks) and of stored timestamps (ms), with room for a
// heartbeat written in the first moments of a process.
constexpr double kStartSlackSeconds = 2.0;

}  // namespace

double process_age_seconds(int64_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return -1.0;
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return -1.0;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  unsigned long long start_ticks = 0;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) start_ticks = std::stoull(field);
  }
  std::ifstream uptime_file("/proc/uptime");
  double uptime = 0.0;
  if (!(uptime_file >> uptime) || start_ticks == 0) return -1.0;
  const long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return -1.0;
  return uptime - static_cast<double>(start_ticks) / static_cast<double>(ticks);
}

bool process_owns_heartbeat(int64_t pid, double heartbeat_age_seconds) {
  if (pid <= 0) return false;
  // EPERM: the pid exists under another user.
  if (kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return false;
  const double age = process_age_seconds(pid);
  return age < 0 || age + kStartSlackSeconds >= heartbeat_age_seconds;
}

HeartbeatTimer::HeartbeatTimer(std::string store_path, StoreOptions options, int64_t run_id,
                               double interval_seconds) {
  thread_ = std::thread([this, path = std::move(store_path), options, run_id, interval_seconds] {
    loop(path, options, run_id, interval_seconds);
  });
}

HeartbeatTimer::~HeartbeatTimer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

int64_t HeartbeatTimer::beats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return beats_;
}

std::string HeartbeatTimer::last_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

void HeartbeatTimer::loop(const std::string& store_path, const StoreOptions& options,
                          int64_t run_id, double interval_seconds) {
  const auto interval = std::chrono::duration<double>(interval_seconds);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!wake_.wait_for(lock, interval, [this] { return stop_; })) {
    lock.unlock();
    std::string error;
    try {
      // A connection per beat: the store is one-thread-per-object, and beats are rare.
      Store::open(store_path, options).heartbeat(run_id);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (error.empty()) {
      ++beats_;
    } else {
      last_error_ = error;
    }
  }
}

}  // namespace dti::reports
