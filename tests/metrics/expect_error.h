#pragma once
// Pins part of a dti::Error message (STYLE: every user-facing check has such a test).

#include <gtest/gtest.h>

#include <string>

#include "base/error.h"

namespace dti::test {

/// Expects `action()` to throw dti::Error whose message contains `fragment`.
template <typename Action>
void expect_error(Action&& action, const std::string& fragment) {
  try {
    action();
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos)
        << "message: " << error.what() << "\nexpected to contain: " << fragment;
    return;
  }
  ADD_FAILURE() << "expected dti::Error containing: " << fragment;
}

}  // namespace dti::test
