// main() of every dti_add_test executable: GoogleTest's, plus --dti_fork_each, which runs each
// selected test in its own child process, forked once the program has started. Why: starting a
// LibTorch program costs about 1.1 s of CPU (3 s under ASan), spent registering LibTorch's
// operators, more than most tests take; CTest's one process per test pays it 400 times a run.
// A forked child starts from the state a fresh process has at main() (no test has run, no
// thread but the main one: fork_each checks), so a test that leans on another's leftovers still
// fails, as it would alone. The whole-executable CTest entries (DTI_TEST_WHOLE,
// tests/CMakeLists.txt) use it.
#include <fnmatch.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

// Built with AddressSanitizer (gcc defines the first, clang answers the second): its
// LeakSanitizer is asked for a check in each child, which leaves without the exit handlers.
#if defined(__SANITIZE_ADDRESS__)
#define DTI_LEAK_CHECK 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DTI_LEAK_CHECK 1
#endif
#endif
#ifdef DTI_LEAK_CHECK
#include <sanitizer/lsan_interface.h>
#endif

namespace {

// GoogleTest's filter syntax, "POSITIVE[-NEGATIVE]", each a ':'-separated list of wildcard
// patterns (an empty positive list means '*'): which tests the child processes may run.
bool any_matches(const std::string& patterns, const std::string& name) {
  size_t start = 0;
  while (start <= patterns.size()) {
    const size_t end = std::min(patterns.find(':', start), patterns.size());
    const std::string p = patterns.substr(start, end - start);
    if (!p.empty() && fnmatch(p.c_str(), name.c_str(), 0) == 0) return true;
    start = end + 1;
  }
  return false;
}

bool filter_selects(const std::string& filter, const std::string& name) {
  const size_t dash = filter.find('-');
  const std::string positive = filter.substr(0, dash);
  const std::string negative = dash == std::string::npos ? "" : filter.substr(dash + 1);
  return (positive.empty() || any_matches(positive, name)) && !any_matches(negative, name);
}

std::vector<std::string> selected_tests() {
  const std::string filter = GTEST_FLAG_GET(filter);
  const bool disabled_too = GTEST_FLAG_GET(also_run_disabled_tests);
  std::vector<std::string> names;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const std::string test = suite->GetTestInfo(j)->name();
      const std::string name = std::string(suite->name()) + "." + test;
      const bool disabled =
          test.rfind("DISABLED_", 0) == 0 || std::string(suite->name()).rfind("DISABLED_", 0) == 0;
      if (filter_selects(filter, name) && (disabled_too || !disabled)) names.push_back(name);
    }
  }
  return names;
}

// What a child exits with after its test returned `rc`. It leaves with _exit, not exit: exit
// runs the static destructors, and LibTorch's unregister every operator one by one, about 0.2 s
// of CPU per child (perf: OperatorEntry::deregisterKernel_, updateDispatchTable_), more than
// most tests. So a test is not checked here for what it would do in a destructor at exit.
int finish_child(int rc) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
#ifdef DTI_LEAK_CHECK
  if (__lsan_do_recoverable_leak_check() != 0) return rc != 0 ? rc : 1;
#endif
  return rc;
}

// Runs `name` alone in a child; returns what went wrong ("" when it passed or skipped).
std::string run_in_child(const std::string& name) {
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) return std::string("fork failed: ") + std::strerror(errno);
  if (pid == 0) {
    GTEST_FLAG_SET(filter, name);
    _exit(finish_child(RUN_ALL_TESTS()));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return std::string("waitpid failed: ") + std::strerror(errno);
  }
  if (WIFSIGNALED(status)) return std::string("killed by signal ") + strsignal(WTERMSIG(status));
  if (WEXITSTATUS(status) != 0) return "exit status " + std::to_string(WEXITSTATUS(status));
  return "";
}

// Threads of this process: fork copies only the calling one, so a child forked while another
// exists (OpenBLAS's pool, started when the library loads unless OMP_NUM_THREADS=1) could wait
// forever on a thread it does not have.
long thread_count() {
  long n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator("/proc/self/task", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

int fork_each() {
  if (const long threads = thread_count(); threads != 1) {
    std::fprintf(stderr,
                 "[dti_fork_each] expected one thread before the first fork, found %ld: a "
                 "library started threads when it loaded (OpenBLAS does, unless "
                 "OMP_NUM_THREADS=1 as CTest sets for every test); set OMP_NUM_THREADS=1 or run "
                 "without --dti_fork_each\n",
                 threads);
    return 1;
  }
  const auto names = selected_tests();
  std::vector<std::string> failed;
  for (const auto& name : names) {
    const std::string why = run_in_child(name);
    if (!why.empty()) failed.push_back(name + " (" + why + ")");
  }
  std::printf("[dti_fork_each] %zu tests, each in its own process: %zu failed\n", names.size(),
              failed.size());
  for (const auto& f : failed) std::printf("[dti_fork_each] FAILED %s\n", f.c_str());
  return failed.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool fork_mode = false;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dti_fork_each") == 0) {
      fork_mode = true;
    } else {
      argv[kept++] = argv[i];
    }
  }
  argc = kept;
  ::testing::InitGoogleTest(&argc, argv);
  if (!fork_mode || GTEST_FLAG_GET(list_tests)) return RUN_ALL_TESTS();
  return fork_each();
}
