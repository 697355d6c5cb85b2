#pragma once
// "Throws with a message containing …" for every test suite (STYLE: every user-facing check has a
// test that pins part of its message), and "this text contains …" for plain strings.
//
//   EXPECT_ERROR_CONTAINS(parse("x"), "unknown name 'x'");               // one statement
//   EXPECT_TRUE(test::error_contains([&] { f(Labels{0, 1}); }, "got 1"));  // commas in braces
//   EXPECT_CONTAINS(run.err, "missing command");
//   EXPECT_EQ(test::error_message([&] { f(); }), "");                     // nothing thrown

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <string>

#include "base/error.h"

namespace dti::test {

/// Message of the exception `action` throws (a dti::Error or another std::exception); "" when it
/// throws nothing.
inline std::string error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::exception& error) {  // dti::Error included
    return error.what();
  }
  return "";
}

/// Success when `action` throws a dti::Error whose message contains `fragment`; otherwise a
/// failure that says what happened instead (the message, another exception type, or no throw).
inline ::testing::AssertionResult error_contains(const std::function<void()>& action,
                                                 const std::string& fragment) {
  try {
    action();
  } catch (const Error& error) {
    if (std::string(error.what()).find(fragment) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure()
           << "dti::Error message: " << error.what() << "\nexpected to contain: " << fragment;
  } catch (const std::exception& error) {
    return ::testing::AssertionFailure()
           << "threw a std::exception that is not dti::Error: " << error.what()
           << "\nexpected dti::Error containing: " << fragment;
  }
  return ::testing::AssertionFailure()
         << "nothing thrown; expected dti::Error containing: " << fragment;
}

/// Success when `text` contains `part`; the failure shows both.
inline ::testing::AssertionResult contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "text: " << text << "\nexpected to contain: " << part;
}

}  // namespace dti::test

/// Expects `statement` to throw dti::Error whose message contains `fragment`. A statement with a
/// comma outside parentheses (a braced list) goes through dti::test::error_contains instead.
#define EXPECT_ERROR_CONTAINS(statement, fragment) \
  EXPECT_TRUE(::dti::test::error_contains([&] { statement; }, fragment))

/// As EXPECT_ERROR_CONTAINS, ending the test on failure.
#define ASSERT_ERROR_CONTAINS(statement, fragment) \
  ASSERT_TRUE(::dti::test::error_contains([&] { statement; }, fragment))

/// Expects the string `text` to contain `part`.
#define EXPECT_CONTAINS(text, part) EXPECT_TRUE(::dti::test::contains(text, part))
