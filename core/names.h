#pragma once
// Enumerations that configs and messages name (initialisations, encoders): each has one name
// table, in enum order, declared next to the enum as a specialisation of names_of<E>(). Parsing,
// printing and "unknown X 'y'; valid: ..." messages all read that table. LibTorch-free.

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/strings.h"

namespace dti::core {

/// The names of the values of E, in enum order (specialised next to each enum).
template <typename E>
const std::vector<std::string>& names_of();

/// The name of `value`.
template <typename E>
const std::string& name_of(E value) {
  return names_of<E>().at(static_cast<size_t>(value));
}

/// The value named `name`; any other name raises dti::Error "unknown <what> '<name>'; did you
/// mean ...? valid: ..." (base/strings.h).
template <typename E>
E parse_name(const std::string& what, const std::string& name) {
  const auto& names = names_of<E>();
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) throw Error(unknown_name_message(what, name, names));
  return static_cast<E>(it - names.begin());
}

}  // namespace dti::core
