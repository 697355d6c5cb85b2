// libFuzzer harness for opening a results store that is any file (reports/store.h): a damaged
// store, someone else's SQLite database or any other file must open and read back or end in a
// dti::Error, never a crash or a hang; and a file that is refused must be left byte-for-byte
// unchanged (issue 13: check first, change nothing). Seeds: a small store with one run, an
// empty file, a foreign SQLite database and a text file (tests/fuzz/store_corpus/).
// Built and run by ci/fuzz.sh.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "base/error.h"
#include "reports/store.h"

namespace {

const std::string& scratch_path() {
  static const std::string path = [] {
    const char* base = std::getenv("TMPDIR");
    return std::string(base && *base ? base : "/tmp") + "/dti_store_fuzz_" +
           std::to_string(::getpid()) + ".sqlite";
  }();
  return path;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Reads everything a report would: experiments, runs, metrics, curves and artifacts.
void read_back(const dti::reports::Store& store) {
  for (const std::string& experiment : store.experiments()) {
    (void)store.experiment_description(experiment);
    (void)store.cells(experiment);
    for (const auto& run : store.list_runs(dti::reports::RunFilter(experiment))) {
      (void)store.run(run.id);
      (void)store.metrics(run.id);
      (void)store.final_metrics(run.id);
      (void)store.metric_curve(run.id, "loss");
      (void)store.artifacts(run.id);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = scratch_path();
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) std::remove((path + suffix).c_str());
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }
  dti::reports::StoreOptions options;
  options.busy_timeout_ms = 0;  // nothing else holds the file: never wait
  bool opened = false;
  try {
    dti::reports::Store store = dti::reports::Store::open(path, options);
    opened = true;
    read_back(store);
  } catch (const dti::Error&) {
    // A clear refusal is the expected outcome for a damaged or foreign file.
  }
  if (!opened && read_all(path) != bytes) {
    std::fprintf(stderr, "a refused file was modified by Store::open\n");
    std::abort();
  }
  return 0;
}
