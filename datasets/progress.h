#pragma once
// Progress of long work (generation, conversion, verification) on stderr: count, rate and time
// left, at most twice a second. Also the cooperative interruption flag the command line raises on
// SIGINT/SIGTERM, so that writers unwind and delete their temporary files.

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace dti::datasets {

/// Throttled progress line: "convert svhn: 12,000/99,289 images (12%), 3,100 images/s, 0:28 left".
class Progress {
 public:
  /// `label` starts the line, `total` is the expected count (0 = unknown), `unit` names the items;
  /// nothing is printed when `enabled` is false.
  Progress(std::string label, int64_t total, std::string unit, bool enabled,
           std::ostream* out = nullptr);
  /// Records `done` items; prints when the last line is older than the throttle interval. Throws
  /// dti::Error when an interruption was requested.
  void update(int64_t done);
  /// Changes the expected total (e.g. once a converter knows how many items it will keep).
  void set_total(int64_t total) { total_ = total; }
  /// Prints the final line with the elapsed time.
  void finish(int64_t done);

 private:
  void print(int64_t done, bool final);
  std::string label_;
  std::string unit_;
  int64_t total_;
  bool enabled_;
  std::ostream* out_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

/// Asks running work to stop at its next progress update (async-signal-safe).
void request_interrupt();
/// Whether an interruption was requested.
bool interrupt_requested();
/// Clears the request (tests).
void clear_interrupt();

/// `value` with thousands separators, e.g. 60,000.
std::string with_commas(int64_t value);

}  // namespace dti::datasets
