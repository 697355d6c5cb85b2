#include "datasets/progress.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>

#include "base/error.h"

namespace dti::datasets {
namespace {

std::atomic<bool> g_interrupt{false};

// A terminal line is redrawn twice a second; a log file gets one line every five seconds.
constexpr auto kTerminalInterval = std::chrono::milliseconds(500);
constexpr auto kLogInterval = std::chrono::seconds(5);

std::string clock_text(double seconds) {
  const auto s = static_cast<int64_t>(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return text;
}

}  // namespace

void request_interrupt() { g_interrupt.store(true); }
bool interrupt_requested() { return g_interrupt.load(); }
void clear_interrupt() { g_interrupt.store(false); }

std::string with_commas(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

Progress::Progress(std::string label, int64_t total, std::string unit, bool enabled,
                   std::ostream* out)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled),
      out_(out != nullptr ? out : &std::cerr),
      tty_(out == nullptr && ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::update(int64_t done) {
  if (interrupt_requested()) throw Error(label_ + ": interrupted; nothing was written");
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < (tty_ ? kTerminalInterval : kLogInterval)) return;
  last_ = now;
  print(done, false);
}

void Progress::finish(int64_t done) {
  if (enabled_) print(done, true);
}

void Progress::print(int64_t done, bool final) {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  std::string line = label_ + ": " + with_commas(done);
  if (total_ > 0) {
    line += "/" + with_commas(total_) + " " + unit_ + " (" +
            std::to_string(
                static_cast<int>(100.0 * static_cast<double>(done) / static_cast<double>(total_))) +
            "%)";
  } else {
    line += " " + unit_;
  }
  line += ", " + with_commas(static_cast<int64_t>(rate)) + " " + unit_ + "/s";
  if (final) {
    line += ", done in " + clock_text(elapsed);
  } else if (total_ > 0 && rate > 0 && done < total_) {
    line += ", " + clock_text(static_cast<double>(total_ - done) / rate) + " left";
  }
  if (tty_) {
    *out_ << "\r\033[K" << line << (final ? "\n" : "") << std::flush;
  } else {
    *out_ << line << "\n" << std::flush;
  }
}

}  // namespace dti::datasets
