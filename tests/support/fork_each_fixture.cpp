// Tests for tests/support/test_main.cpp's --dti_fork_each, run by the CTest entry
// TestMain.ForkEachRunsEachTestAloneAndReportsEveryFailure (tests/CMakeLists.txt), which expects
// exactly two failures. Two of these tests fail on purpose; this executable is not a test suite.
#include <gtest/gtest.h>

#include <csignal>

namespace {
int runs_in_this_process = 0;
}  // namespace

// Each passes only when no other test ran in its process before it: with --dti_fork_each each
// test runs in a child forked before any test ran.
TEST(Fixture, FirstInItsProcess) { EXPECT_EQ(++runs_in_this_process, 1); }
TEST(Fixture, AlsoFirstInItsProcess) { EXPECT_EQ(++runs_in_this_process, 1); }

TEST(Fixture, Fails) { EXPECT_EQ(1 + 1, 3) << "fails on purpose"; }
TEST(Fixture, IsKilled) { std::raise(SIGKILL); }
TEST(Fixture, Skips) { GTEST_SKIP() << "a skipped test counts as passed"; }
TEST(Fixture, DISABLED_WouldFail) { FAIL() << "disabled: must not run"; }
