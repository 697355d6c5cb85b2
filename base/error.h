#pragma once
// Error reporting shared by the whole code base (header-only, no LibTorch): user-facing checks
// throw dti::Error with a message that says what was expected, what arrived and what to do.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace dti {

/// Exception for bad user input (files, configs, command lines, tensors at public entry points).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
/// Streams every argument into one string.
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
}  // namespace detail

}  // namespace dti

/// Throws dti::Error with the streamed message when `cond` is false.
#define DTI_CHECK(cond, ...)                                             \
  do {                                                                   \
    if (!(cond)) throw ::dti::Error(::dti::detail::concat(__VA_ARGS__)); \
  } while (0)
