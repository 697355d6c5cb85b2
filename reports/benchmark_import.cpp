#include "reports/benchmark_import.h"

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/error.h"
#include "reports/sqlite_db.h"

namespace dti::reports {
namespace {

// SQLite's JSON functions do the parsing: the store already links SQLite, and its parser is
// strict and well tested, so the suite needs no JSON library of its own.

// One member of a JSON object as json_each() reports it.
struct JsonField {
  std::string type;  // "integer", "real", "text", "true", "false", "null", "object", "array"
  std::string text;  // text value, or the JSON text of objects and arrays
  double number = 0.0;
  bool is_number() const { return type == "integer" || type == "real"; }
};

using JsonObject = std::map<std::string, JsonField>;

JsonObject read_object(const Database& db, const std::string& json, const std::string& path) {
  Statement each(db, "SELECT key, type, value FROM json_each(?1, ?2)");
  each.bind(1, json).bind(2, path);
  JsonObject object;
  while (each.step()) {
    JsonField field{each.text(1), each.text(2), 0.0};
    if (field.is_number()) field.number = each.real(2);
    object[each.text(0)] = field;
  }
  return object;
}

std::string text_or(const JsonObject& object, const std::string& key, const std::string& fallback) {
  auto found = object.find(key);
  return found != object.end() && found->second.type == "text" ? found->second.text : fallback;
}

std::optional<double> number(const JsonObject& object, const std::string& key) {
  auto found = object.find(key);
  if (found == object.end() || !found->second.is_number()) return std::nullopt;
  return found->second.number;
}

// A count (iterations, bytes, an index) as int64, rounded (counters such as peak bytes are
// doubles, averaged in aggregates). A JSON number outside int64 is refused by name: converting it
// would be undefined behaviour (found by fuzzing: "peak_memory_bytes": 1.5e74).
std::optional<int64_t> count(const JsonObject& object, const std::string& key,
                             const std::string& source) {
  const std::optional<double> value = number(object, key);
  if (!value) return std::nullopt;
  DTI_CHECK(std::isfinite(*value) && std::fabs(*value) <= 9.2e18, source, ": \"", key, "\" is ",
            *value, "; expected a count within 64 bits");
  return std::llround(*value);
}

double nanoseconds_per(const std::string& unit, const std::string& source) {
  if (unit == "ns") return 1.0;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  throw Error(source + ": unknown time_unit '" + unit + "' (expected ns, us, ms or s)");
}

// Keys Google Benchmark writes itself; any other numeric key of an entry is a user counter.
const std::set<std::string>& standard_keys() {
  static const std::set<std::string> keys = {"name",
                                             "family_index",
                                             "per_family_instance_index",
                                             "run_name",
                                             "run_type",
                                             "repetitions",
                                             "repetition_index",
                                             "threads",
                                             "iterations",
                                             "real_time",
                                             "cpu_time",
                                             "time_unit",
                                             "items_per_second",
                                             "bytes_per_second",
                                             "label",
                                             "aggregate_name",
                                             "aggregate_unit",
                                             "error_occurred",
                                             "error_message",
                                             "skipped",
                                             "skip_message",
                                             "big_o"};
  return keys;
}

// Final metrics and outcome columns of a successful entry.
void add_measurements(ImportedRun& run, const JsonObject& entry, const std::string& source) {
  const std::string aggregate_unit = text_or(entry, "aggregate_unit", "time");
  const std::string suffix = aggregate_unit == "time"         ? "_ns"
                             : aggregate_unit == "percentage" ? "_cv"
                                                              : "_" + aggregate_unit;
  const double scale =
      aggregate_unit == "time" ? nanoseconds_per(text_or(entry, "time_unit", "ns"), source) : 1.0;
  for (const char* key : {"real_time", "cpu_time"})
    if (auto value = number(entry, key)) run.metrics.push_back({key + suffix, *value * scale, {}});
  for (const auto& [key, field] : entry)
    if (field.is_number() && !standard_keys().count(key))
      run.metrics.push_back({key, field.number, {}});
  for (const char* key : {"items_per_second", "bytes_per_second"})
    if (auto value = number(entry, key)) run.metrics.push_back({key, *value, {}});

  run.outcome.iterations = count(entry, "iterations", source);
  run.outcome.images_per_second = number(entry, "images_per_second");
  if (!run.outcome.images_per_second)
    run.outcome.images_per_second = number(entry, "items_per_second");
  auto peak = count(entry, "peak_memory_bytes", source);
  if (!peak) peak = count(entry, "max_bytes_used", source);
  if (peak) run.outcome.peak_memory_bytes = *peak;
}

ImportedRun entry_to_run(const Database& db, const JsonObject& entry, const JsonObject& context,
                         const std::string& context_json, const BenchmarkImportOptions& options,
                         const std::string& source) {
  const std::string name = text_or(entry, "name", "");
  DTI_CHECK(!name.empty(), source, ": a benchmark entry has no \"name\"");
  ImportedRun run;
  run.spec.experiment = options.experiment;
  run.spec.cell = text_or(entry, "run_name", name);
  run.spec.dataset = options.dataset;
  run.spec.variant = text_or(entry, "run_type", "iteration") == "aggregate"
                         ? text_or(entry, "aggregate_name", "aggregate")
                         : "";
  run.spec.seed = count(entry, "repetition_index", source).value_or(0);
  run.spec.code_version = text_or(context, "code_version", options.code_version);
  run.spec.libtorch_version = text_or(context, "libtorch_version", "unknown");
  run.spec.device = text_or(context, "device", "unknown");
  run.host = text_or(context, "host_name", "unknown-host");

  // Identity: the entry minus its measurements, plus the context without the load average.
  Statement identity(db,
                     "SELECT json_object('name', ?1, 'run_type', ?2, 'aggregate_name', ?3, "
                     "'repetition_index', ?4, 'threads', ?5, 'label', ?6, "
                     "'context', json_remove(json(?7), '$.load_avg'))");
  identity.bind(1, name).bind(2, text_or(entry, "run_type", "iteration"));
  identity.bind(3, run.spec.variant).bind(4, run.spec.seed);
  identity.bind(5, count(entry, "threads", source).value_or(1));
  identity.bind(6, text_or(entry, "label", "")).bind(7, context_json).step();
  run.spec.config_text = identity.text(0);

  // The context date may carry an offset ("+02:00"); SQLite converts it to UTC.
  Statement date(db, "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1)");
  date.bind(1, text_or(context, "date", "")).step();
  run.started_at = run.ended_at = date.is_null(0) ? "" : date.text(0);
  DTI_CHECK(!run.started_at.empty(), source, ": context.date '", text_or(context, "date", ""),
            "' is not a date");

  auto error = entry.find("error_occurred");
  const bool failed = (error != entry.end() && error->second.type == "true") ||
                      text_or(entry, "skipped", "") == "error";
  if (failed) {
    run.status = RunStatus::failed;
    run.error = text_or(entry, "error_message", text_or(entry, "skip_message", "benchmark error"));
    run.error = run.error.empty() ? "benchmark error" : run.error;
    return run;
  }
  run.status = RunStatus::finished;
  add_measurements(run, entry, source);
  return run;
}

}  // namespace

std::vector<ImportedRun> parse_benchmark_json(const std::string& json_text,
                                              const BenchmarkImportOptions& options,
                                              const std::string& source) {
  DTI_CHECK(!options.experiment.empty(), "BenchmarkImportOptions::experiment is empty");
  Database db(":memory:", 0);
  const std::string hint =
      " (write it with --benchmark_format=json, or --benchmark_out=<file> "
      "--benchmark_out_format=json)";
  {
    // json_type() raises on malformed text, so validity is checked first, on its own.
    Statement valid(db, "SELECT json_valid(?1)");
    valid.bind(1, json_text).step();
    DTI_CHECK(valid.int64(0) == 1, source, ": not valid JSON", hint);
    Statement shape(db, "SELECT json_type(?1, '$.context'), json_type(?1, '$.benchmarks')");
    shape.bind(1, json_text).step();
    DTI_CHECK(shape.text(0) == "object" && shape.text(1) == "array", source,
              ": expected an object with \"context\" (object) and \"benchmarks\" (array), got "
              "context ",
              shape.is_null(0) ? "missing" : shape.text(0), " and benchmarks ",
              shape.is_null(1) ? "missing" : shape.text(1), hint);
  }
  const JsonObject context = read_object(db, json_text, "$.context");
  Statement context_text(db, "SELECT json_extract(?1, '$.context')");
  context_text.bind(1, json_text).step();
  const std::string context_json = context_text.text(0);

  std::vector<ImportedRun> runs;
  Statement entries(db, "SELECT value, type FROM json_each(?1, '$.benchmarks')");
  entries.bind(1, json_text);
  while (entries.step()) {
    DTI_CHECK(entries.text(1) == "object", source, ": benchmark entry ", runs.size(), " is a JSON ",
              entries.text(1), ", expected an object");
    const JsonObject entry = read_object(db, entries.text(0), "$");
    runs.push_back(entry_to_run(db, entry, context, context_json, options, source));
  }
  return runs;
}

BenchmarkImportSummary import_benchmark_json(Store& store, const std::string& json_text,
                                             const BenchmarkImportOptions& options,
                                             const std::string& source) {
  const std::vector<ImportedRun> runs = parse_benchmark_json(json_text, options, source);
  BenchmarkImportSummary summary;
  summary.entries = static_cast<int64_t>(runs.size());
  for (const ImportedRun& run : runs) summary.errors += run.status == RunStatus::failed;
  summary.inserted = store.import_runs(runs);
  summary.already_present = summary.entries - summary.inserted;
  return summary;
}

BenchmarkImportSummary import_benchmark_file(Store& store, const std::string& path,
                                             const BenchmarkImportOptions& options) {
  std::ifstream file(path, std::ios::binary);
  DTI_CHECK(file, "benchmark JSON '", path, "': cannot open the file");
  std::ostringstream text;
  text << file.rdbuf();
  return import_benchmark_json(store, text.str(), options, "benchmark JSON '" + path + "'");
}

}  // namespace dti::reports
