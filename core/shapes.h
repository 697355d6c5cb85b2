#pragma once
// Shape and value checks at public entry points, so that every message reads alike.

#include <ATen/ATen.h>

#include <initializer_list>

#include "base/error.h"

namespace dti::core {

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

}  // namespace dti::core
