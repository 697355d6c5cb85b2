#pragma once
// Error reporting shared by the whole code base: user-facing checks throw dti::Error with a
// message that says what was expected, what arrived and what to do.

#include <ATen/ATen.h>

#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dti {

/// Exception for bad user input (files, configs, command lines, tensors at public entry points).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <typename... Args>
std::string concat(Args&&... args) {
  std::ostringstream out;
  (out << ... << std::forward<Args>(args));
  return out.str();
}
}  // namespace detail

/// Throws dti::Error with the streamed message when `cond` is false.
#define DTI_CHECK(cond, ...)                                        \
  do {                                                              \
    if (!(cond)) throw ::dti::Error(::dti::detail::concat(__VA_ARGS__)); \
  } while (0)

namespace core {

/// One expected dimension: a legend letter (B, C, H, ...) and its size, or -1 for "any".
struct Dim {
  const char* name;  ///< Legend letter(s) shown in messages.
  int64_t size;      ///< Expected size; -1 accepts any size.
};

/// Checks `t` against `dims` (rank and sizes); the message reads
/// `composition: layers expected [L=3,K=19,B=32,C=3,H=35,W=35], got [3,19,32,4,35,35]`.
void check_shape(const char* where, const char* what, const at::Tensor& t,
                 std::initializer_list<Dim> dims);

/// Throws when `t` holds a NaN or an infinity, naming `where` and `what`.
void check_finite(const char* where, const char* what, const at::Tensor& t);

}  // namespace core
}  // namespace dti
