// libFuzzer harness for the benchmark-JSON import (reports/benchmark_import.h): any text must
// parse into runs or end in a dti::Error, never a crash or a hang; text that parses must also
// import into a store (every string and number it carries is written to SQLite).
// Seeds: Google Benchmark output, plain and with aggregates and errors
// (tests/fuzz/benchmark_json_corpus/). Built and run by ci/fuzz.sh.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "base/error.h"
#include "reports/benchmark_import.h"
#include "reports/store.h"

namespace {

// One store per fuzzing process, started afresh every few hundred imports to stay small.
dti::reports::Store& scratch_store() {
  static int uses = 0;
  static std::unique_ptr<dti::reports::Store> store;
  static const std::string path = [] {
    const char* base = std::getenv("TMPDIR");
    return std::string(base && *base ? base : "/tmp") + "/dti_bench_fuzz_" +
           std::to_string(::getpid()) + ".sqlite";
  }();
  if (store == nullptr || ++uses % 500 == 0) {
    store.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    store = std::make_unique<dti::reports::Store>(dti::reports::Store::open(path));
  }
  return *store;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    if (dti::reports::parse_benchmark_json(text, {}, "fuzz.json").empty()) return 0;
    (void)dti::reports::import_benchmark_json(scratch_store(), text, {}, "fuzz.json");
  } catch (const dti::Error&) {
    // A clear refusal is the expected outcome for damaged input.
  }
  return 0;
}
