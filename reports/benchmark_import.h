#pragma once
// Loads Google Benchmark JSON output (`--benchmark_format=json`, or `--benchmark_out=<file>
// --benchmark_out_format=json`) into the results store, so speed is tracked like any other result.
//
// Each benchmark entry becomes one finished run of `options.experiment` (failed when the entry
// reports an error): cell = run_name (e.g. "BM_Compose/K:19/L:3"), variant = the aggregate name
// ("mean", "median", "stddev", "cv"; "" for a plain repetition), seed = repetition_index, host and
// time from the context. Its config text is the entry's identity plus the whole context (date
// included), so importing the same file twice adds nothing and every new measurement is kept.
// Final metrics: real_time_ns and cpu_time_ns (converted from time_unit; "_cv" for coefficient-of-
// variation aggregates), items_per_second, bytes_per_second and every user counter by its name.
// Context keys written with benchmark::AddCustomContext that are read: "libtorch_version",
// "device" and "code_version". Counters "images_per_second" (else items_per_second) and
// "peak_memory_bytes" (else "max_bytes_used") also fill the run's columns of the same meaning.

#include <cstdint>
#include <string>
#include <vector>

#include "reports/store.h"

namespace dti::reports {

/// How benchmark output is filed.
struct BenchmarkImportOptions {
  /// Experiment the runs are stored under.
  std::string experiment = "bench";
  /// Code version when the context has no "code_version" key (e.g. `git describe --dirty`).
  std::string code_version = "unknown";
  /// Dataset recorded on every run ("" when the benchmark is not about one dataset).
  std::string dataset;
};

/// What an import did.
struct BenchmarkImportSummary {
  /// Benchmark entries in the input.
  int64_t entries = 0;
  /// Runs added to the store.
  int64_t inserted = 0;
  /// Entries already present (same file imported before).
  int64_t already_present = 0;
  /// Entries that reported an error (stored as failed runs).
  int64_t errors = 0;
};

/// Turns benchmark JSON text into runs; `source` names the input in error messages.
std::vector<ImportedRun> parse_benchmark_json(const std::string& json_text,
                                              const BenchmarkImportOptions& options,
                                              const std::string& source = "benchmark JSON");
/// Parses `json_text` and stores its runs in one transaction.
BenchmarkImportSummary import_benchmark_json(Store& store, const std::string& json_text,
                                             const BenchmarkImportOptions& options = {},
                                             const std::string& source = "benchmark JSON");
/// Reads the file at `path` and imports it.
BenchmarkImportSummary import_benchmark_file(Store& store, const std::string& path,
                                             const BenchmarkImportOptions& options = {});

}  // namespace dti::reports
