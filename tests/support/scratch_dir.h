#pragma once
// A fresh folder for each test: <tmp>/dti_<suite>_<test>_<pid>, emptied before the test and removed
// after it, except after a failure, when it is kept for inspection. The base of every test
// fixture that writes files (datasets, checkpoints, stores, runexp runs).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace dti::test {

class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("dti_" + std::string(info->test_suite_name()) + "_" + info->name() + "_" +
            std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }

  /// Path of `name` inside the scratch folder.
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

}  // namespace dti::test
