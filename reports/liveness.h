#pragma once
// Whether a run's process is still at work, and keeping its heartbeat fresh while it is.
//
// A run in the results store names the host and pid that own it. On that host the process table
// decides (reports/store.h): a live owner is never taken over, however slow its training. The
// heartbeat, written by a timer rather than by the training loop, is what other hosts see.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "reports/store.h"

namespace dti::reports {

/// True when process `pid` exists on this host and is old enough to have written a heartbeat
/// `heartbeat_age_seconds` ago (a younger process reuses the pid of a dead owner).
bool process_owns_heartbeat(int64_t pid, double heartbeat_age_seconds);

/// Seconds since process `pid` started, or a negative value when unknown (no /proc).
double process_age_seconds(int64_t pid);

/// Writes the heartbeat of one run every `interval_seconds` from a thread of its own (with its
/// own connection to the store), from construction until destruction.
class HeartbeatTimer {
 public:
  /// Starts beating for `run_id` in the store at `store_path`.
  HeartbeatTimer(std::string store_path, StoreOptions options, int64_t run_id,
                 double interval_seconds);
  /// Stops the thread (waits at most for one heartbeat in progress).
  ~HeartbeatTimer();
  HeartbeatTimer(const HeartbeatTimer&) = delete;
  HeartbeatTimer& operator=(const HeartbeatTimer&) = delete;
  /// Heartbeats written so far.
  int64_t beats() const;
  /// The last error of a failed heartbeat ("" when none); a failed beat never stops training.
  std::string last_error() const;

 private:
  void loop(const std::string& store_path, const StoreOptions& options, int64_t run_id,
            double interval_seconds);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  int64_t beats_ = 0;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace dti::reports
