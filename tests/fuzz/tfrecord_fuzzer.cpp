// libFuzzer harness for the TFRecord framing reader (datasets/tfrecord.h): any bytes, plain or
// GZIP, must end in records or a dti::Error, never a crash, a hang or a huge allocation. Built and
// run by ci/fuzz.sh (clang only); seeds in tests/fuzz/tfrecord_corpus/.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/error.h"
#include "datasets/tfrecord.h"

namespace {

// One scratch file per fuzzing process: the reader takes a path.
const std::string& scratch_path() {
  static const std::string path = [] {
    const char* base = std::getenv("TMPDIR");
    return std::string(base && *base ? base : "/tmp") + "/dti_tfrecord_fuzz_" +
           std::to_string(::getpid()) + ".tfrecord";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FILE* file = std::fopen(scratch_path().c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  try {
    dti::datasets::TfRecordReader reader(scratch_path());
    std::string record;
    while (reader.next(record)) {
    }
  } catch (const dti::Error&) {
    // A clear refusal is the expected outcome for damaged input.
  }
  return 0;
}
