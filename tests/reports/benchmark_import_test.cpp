#include "reports/benchmark_import.h"

#include <gtest/gtest.h>

#include <fstream>

#include "base/error.h"
#include "tests/reports/temp_dir.h"
#include "tests/support/expect_error.h"

namespace dti::reports {
namespace {

// Trimmed from real libbenchmark 1.7.1 output: two repetitions, two aggregates, a user counter,
// a custom context and an entry that called SkipWithError.
constexpr const char* kOutput = R"json({
  "context": {
    "date": "2024-05-01T12:00:00+02:00",
    "host_name": "bench-box",
    "executable": "./dti_bench",
    "num_cpus": 2,
    "mhz_per_cpu": 2596,
    "cpu_scaling_enabled": false,
    "caches": [{"type": "Data", "level": 1, "size": 32768, "num_sharing": 1}],
    "load_avg": [0.50, 0.30, 0.16],
    "library_build_type": "release",
    "device": "cpu (2 threads)",
    "libtorch_version": "1.13.1"
  },
  "benchmarks": [
    {"name": "BM_Compose/K:19/L:3", "family_index": 0, "per_family_instance_index": 0,
     "run_name": "BM_Compose/K:19/L:3", "run_type": "iteration", "repetitions": 2,
     "repetition_index": 0, "threads": 1, "iterations": 15821,
     "real_time": 8.5e-01, "cpu_time": 8.0e-01, "time_unit": "ms",
     "items_per_second": 3.7e+04, "peak_memory_bytes": 1.5e+09},
    {"name": "BM_Compose/K:19/L:3", "family_index": 0, "per_family_instance_index": 0,
     "run_name": "BM_Compose/K:19/L:3", "run_type": "iteration", "repetitions": 2,
     "repetition_index": 1, "threads": 1, "iterations": 15821,
     "real_time": 8.7e-01, "cpu_time": 8.2e-01, "time_unit": "ms",
     "items_per_second": 3.6e+04, "peak_memory_bytes": 1.5e+09},
    {"name": "BM_Compose/K:19/L:3_mean", "family_index": 0, "per_family_instance_index": 0,
     "run_name": "BM_Compose/K:19/L:3", "run_type": "aggregate", "repetitions": 2, "threads": 1,
     "aggregate_name": "mean", "aggregate_unit": "time", "iterations": 2,
     "real_time": 8.6e-01, "cpu_time": 8.1e-01, "time_unit": "ms", "items_per_second": 3.65e+04,
     "peak_memory_bytes": 1.5e+09},
    {"name": "BM_Compose/K:19/L:3_cv", "family_index": 0, "per_family_instance_index": 0,
     "run_name": "BM_Compose/K:19/L:3", "run_type": "aggregate", "repetitions": 2, "threads": 1,
     "aggregate_name": "cv", "aggregate_unit": "percentage", "iterations": 2,
     "real_time": 2.2e-03, "cpu_time": 2.4e-03, "time_unit": "ms", "items_per_second": 2.2e-03,
     "peak_memory_bytes": 0.0},
    {"name": "BM_TrainStep_CUDA", "family_index": 1, "per_family_instance_index": 0,
     "run_name": "BM_TrainStep_CUDA", "run_type": "iteration", "repetitions": 1,
     "repetition_index": 0, "threads": 1, "error_occurred": true, "error_message": "no GPU",
     "iterations": 1, "real_time": 0.0, "cpu_time": 0.0, "time_unit": "ns"}
  ]
})json";

TEST(BenchmarkImport, ParsesEntriesIntoRuns) {
  BenchmarkImportOptions options;
  options.code_version = "v0.2";
  const auto runs = parse_benchmark_json(kOutput, options);
  ASSERT_EQ(runs.size(), 5u);

  const ImportedRun& first = runs[0];
  EXPECT_EQ(first.spec.experiment, "bench");
  EXPECT_EQ(first.spec.cell, "BM_Compose/K:19/L:3");
  EXPECT_EQ(first.spec.variant, "");
  EXPECT_EQ(first.spec.seed, 0);
  EXPECT_EQ(first.spec.libtorch_version, "1.13.1");
  EXPECT_EQ(first.spec.device, "cpu (2 threads)");
  EXPECT_EQ(first.spec.code_version, "v0.2");
  EXPECT_EQ(first.host, "bench-box");
  EXPECT_EQ(first.started_at, "2024-05-01T10:00:00.000Z");  // +02:00 converted to UTC
  EXPECT_EQ(first.status, RunStatus::finished);
  EXPECT_EQ(*first.outcome.iterations, 15821);
  EXPECT_DOUBLE_EQ(*first.outcome.images_per_second, 3.7e4);
  EXPECT_EQ(*first.outcome.peak_memory_bytes, 1500000000);
  std::map<std::string, double> metrics;
  for (const MetricPoint& point : first.metrics) {
    EXPECT_FALSE(point.iteration);
    metrics[point.name] = point.value;
  }
  EXPECT_EQ(metrics.size(), 4u);
  EXPECT_DOUBLE_EQ(metrics.at("real_time_ns"), 8.5e5);  // 0.85 ms
  EXPECT_DOUBLE_EQ(metrics.at("cpu_time_ns"), 8.0e5);
  EXPECT_DOUBLE_EQ(metrics.at("items_per_second"), 3.7e4);
  EXPECT_DOUBLE_EQ(metrics.at("peak_memory_bytes"), 1.5e9);  // user counter

  EXPECT_EQ(runs[1].spec.seed, 1);
  EXPECT_NE(runs[0].spec.config_text, runs[1].spec.config_text);
  EXPECT_EQ(runs[2].spec.variant, "mean");
  EXPECT_EQ(runs[3].spec.variant, "cv");
  EXPECT_EQ(runs[3].metrics[0].name, "real_time_cv");  // a ratio, not a time
  EXPECT_DOUBLE_EQ(runs[3].metrics[0].value, 2.2e-3);

  EXPECT_EQ(runs[4].status, RunStatus::failed);
  EXPECT_EQ(runs[4].error, "no GPU");
  EXPECT_TRUE(runs[4].metrics.empty());
  // The identity keeps the context but not the load average, which changes every second.
  EXPECT_NE(first.spec.config_text.find("\"host_name\":\"bench-box\""), std::string::npos);
  EXPECT_EQ(first.spec.config_text.find("load_avg"), std::string::npos);
}

TEST(BenchmarkImport, StoresOnceAndKeepsNewMeasurements) {
  test::TempDir dir;
  Store store = Store::open(dir.file("results.sqlite"));
  const std::string file = dir.file("bench.json");
  std::ofstream(file) << kOutput;
  const BenchmarkImportSummary first = import_benchmark_file(store, file);
  EXPECT_EQ(first.entries, 5);
  EXPECT_EQ(first.inserted, 5);
  EXPECT_EQ(first.errors, 1);
  const BenchmarkImportSummary again = import_benchmark_file(store, file);
  EXPECT_EQ(again.inserted, 0);
  EXPECT_EQ(again.already_present, 5);

  std::string later = kOutput;
  later.replace(later.find("2024-05-01T12"), 13, "2024-05-02T12");
  EXPECT_EQ(import_benchmark_json(store, later).inserted, 5);

  const auto runs = store.list_runs(RunFilter("bench", "BM_Compose/K:19/L:3"));
  ASSERT_EQ(runs.size(), 8u);
  EXPECT_DOUBLE_EQ(store.final_metrics(runs[0].id).at("real_time_ns"), 8.5e5);
  const auto failed = store.list_runs(RunFilter("bench", "BM_TrainStep_CUDA"));
  ASSERT_EQ(failed.size(), 2u);
  EXPECT_EQ(failed[0].status, RunStatus::failed);
}

TEST(BenchmarkImport, BadInputIsExplained) {
  const auto parse = [](const std::string& text) {
    return [text] { parse_benchmark_json(text, {}, "bench.json"); };
  };
  EXPECT_TRUE(dti::test::error_contains(parse("Running ./dti_bench\n{"),
                                        "bench.json: not valid JSON (write it with "
                                        "--benchmark_format=json"));
  EXPECT_TRUE(dti::test::error_contains(parse("{\"context\": {}}"),
                                        "got context object and benchmarks missing"));
  EXPECT_TRUE(dti::test::error_contains(
      parse("{\"context\": {\"date\": \"x\"}, \"benchmarks\": [{\"name\": \"BM_A\", "
            "\"real_time\": 1, \"time_unit\": \"h\"}]}"),
      "context.date 'x' is not a date"));
  EXPECT_TRUE(dti::test::error_contains(
      parse("{\"context\": {\"date\": \"2024-01-01T00:00:00\"}, \"benchmarks\": "
            "[{\"name\": \"BM_A\", \"real_time\": 1, \"time_unit\": \"h\"}]}"),
      "unknown time_unit 'h'"));
  test::TempDir dir;
  Store store = Store::open(dir.file("r.sqlite"));
  EXPECT_THROW(import_benchmark_file(store, dir.file("missing.json")), Error);
}

// Found by tests/fuzz/benchmark_json_fuzzer.cpp: a count beyond 64 bits was converted to int64
// (undefined behaviour) instead of being refused.
TEST(BenchmarkImport, CountsBeyondSixtyFourBitsAreRefused) {
  const std::string entry =
      "{\"context\": {\"date\": \"2024-01-01T00:00:00\"}, \"benchmarks\": [{\"name\": "
      "\"BM_A\", \"real_time\": 1, \"time_unit\": \"ns\", ";
  for (const char* key : {"peak_memory_bytes", "iterations", "repetition_index", "threads"}) {
    EXPECT_TRUE(dti::test::error_contains(
        [&] { parse_benchmark_json(entry + "\"" + key + "\": 1.5e74}]}", {}, "bench.json"); },
        std::string("bench.json: \"") + key + "\" is 1.5e+74; expected a count within 64 bits"))
        << key;
  }
}

}  // namespace
}  // namespace dti::reports
