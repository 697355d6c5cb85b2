// Process-wide settings (core/runtime.h): large CPU tensors are advised for transparent huge
// pages, so that the kernel may back them with 2 MiB pages where its THP setting allows.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "core/runtime.h"

namespace dti::test {
namespace {

std::string thp_setting() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  std::getline(f, line);
  return line;  // e.g. "always [madvise] never"
}

// smaps' THPeligible of the mapping that holds `address` (-1 if not found).
int thp_eligible(const void* address) {
  std::ifstream smaps("/proc/self/smaps");
  const auto a = reinterpret_cast<uintptr_t>(address);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> lo >> dash >> hi && dash == '-') {
      inside = lo <= a && a < hi;
      continue;
    }
    if (inside && line.rfind("THPeligible:", 0) == 0) return std::stoi(line.substr(12));
  }
  return -1;
}

TEST(Runtime, LargeTensorsAreAdvisedForHugePages) {
  const std::string setting = thp_setting();
  if (setting.empty() || setting.find("[never]") != std::string::npos)
    GTEST_SKIP() << "transparent huge pages are off here: '" << setting << "'";
  if (const char* env = std::getenv("DTI_HUGE_PAGES"); env != nullptr && std::string(env) == "0")
    GTEST_SKIP() << "DTI_HUGE_PAGES=0";
  core::RuntimeOptions options;
  options.threads = at::get_num_threads();
  options.blas_threads = 0;
  options.keep_freed_memory = false;
  options.huge_pages = true;
  core::configure_runtime(options);
  ASSERT_TRUE(core::huge_pages_active());
  auto big = at::empty({int64_t{4} << 20});  // 16 MiB
  const auto middle = static_cast<const char*>(big.data_ptr()) + big.nbytes() / 2;
  const int eligible = thp_eligible(middle);
  if (eligible < 0) GTEST_SKIP() << "this kernel's smaps has no THPeligible line";
  EXPECT_EQ(eligible, 1) << "THP setting '" << setting << "'";
  EXPECT_NE(core::runtime_description().find("huge pages advised"), std::string::npos);
}

}  // namespace
}  // namespace dti::test
