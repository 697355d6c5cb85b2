#pragma once
// The real runexp binary run as a user runs it, in a scratch folder per test (removed when the
// test passed). DTI_RUNEXP is the binary's path, defined by CMake.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/support/scratch_dir.h"

namespace dti::test {

/// Exit code and output (stdout and stderr together) of one runexp invocation.
struct RunexpResult {
  int code = -1;
  std::string output;
};

/// Runs `runexp <args>` in `dir`.
inline RunexpResult run_runexp(const std::filesystem::path& dir, const std::string& args) {
  const std::string command = "cd '" + dir.string() + "' && '" DTI_RUNEXP "' " + args + " 2>&1";
  RunexpResult r;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) r.output.append(buffer.data(), n);
  const int status = pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// A fresh scratch folder per test.
class ScratchFolderTest : public ScratchDirTest {
 protected:
  RunexpResult runexp(const std::string& args) const { return run_runexp(dir_, args); }
};

}  // namespace dti::test
