// libFuzzer harness for the `.mat` reader (datasets/convert_svhn.cpp, matio): any bytes given as
// an SVHN `train_32x32.mat` must convert or end in a dti::Error, never a crash, a hang or an
// allocation the file merely claims. Seeds (MAT v5 plain and zlib-compressed, MAT v4) in
// tests/fuzz/svhn_mat_corpus/, written with matio as tests/datasets/convert_test.cpp does.
// matio reads files, so each input goes to a scratch file. Built and run by ci/fuzz.sh.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/error.h"
#include "datasets/convert.h"

namespace {

// A scratch folder per fuzzing process; the input keeps SVHN's name (its stem names the part).
const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::string d =
        std::string(base && *base ? base : "/tmp") + "/dti_mat_fuzz_" + std::to_string(::getpid());
    ::mkdir(d.c_str(), 0700);
    return d;
  }();
  return dir;
}

}  // namespace

// matio sizes buffers from the file (a dims element claiming 1 GB in a 3 KB file, found by this
// harness). glibc returns NULL for what the machine cannot map and matio then fails cleanly;
// ASan aborts instead unless told to return NULL as well.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = scratch_dir() + "/train_32x32.mat";
  FILE* file = std::fopen(input.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  dti::datasets::ConvertOptions options;
  options.inputs = {input};
  options.output = scratch_dir() + "/svhn.h5";
  options.limit = 4;  // the reader's checks come before the images; a few images reach the writer
  options.show_progress = false;
  try {
    (void)dti::datasets::convert_svhn(options);
  } catch (const dti::Error&) {
    // A clear refusal is the expected outcome for damaged input.
  }
  std::remove(options.output.c_str());
  return 0;
}
