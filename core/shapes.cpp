#include "core/shapes.h"

namespace dti::core {

void check_shape(const char* where, const char* what, const at::Tensor& t,
                 std::initializer_list<Dim> dims) {
  bool ok = t.defined() && t.dim() == static_cast<int64_t>(dims.size());
  if (ok) {
    int64_t i = 0;
    for (const Dim& d : dims) {
      if (d.size >= 0 && t.size(i) != d.size) ok = false;
      ++i;
    }
  }
  if (ok) return;
  std::ostringstream msg;
  msg << where << ": " << what << " expected [";
  bool first = true;
  for (const Dim& d : dims) {
    msg << (first ? "" : ",") << d.name;
    if (d.size >= 0) msg << "=" << d.size;
    first = false;
  }
  msg << "], got ";
  if (!t.defined()) {
    msg << "an undefined tensor";
  } else {
    msg << "[";
    for (int64_t i = 0; i < t.dim(); ++i) msg << (i ? "," : "") << t.size(i);
    msg << "]";
  }
  throw Error(msg.str());
}

void check_finite(const char* where, const char* what, const at::Tensor& t) {
  if (!t.defined() || !t.is_floating_point()) return;
  if (!at::isfinite(t).all().item<bool>()) {
    throw Error(detail::concat(where, ": ", what, " holds NaN or infinite values"));
  }
}

}  // namespace dti::core
