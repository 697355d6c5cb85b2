#include "experiments/run/run_record.h"

#include <torch/version.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <ostream>
#include <set>

#include "base/error.h"
#include "code_version.h"  // generated at build time
#include "experiments/config/config.h"
#include "experiments/config/output_layout.h"
#include "experiments/run/run_record_detail.h"
#include "reports/atomic_file.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace detail {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string host_name() {
  char name[256] = {};
  gethostname(name, sizeof name - 1);
  return name;
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// "<array job>_<task>" of the Slurm task this process belongs to, or "".
std::string slurm_task() {
  const std::string array = env("SLURM_ARRAY_JOB_ID"), task = env("SLURM_ARRAY_TASK_ID");
  if (!array.empty() && !task.empty()) return array + "_" + task;
  return env("SLURM_JOB_ID");
}

reports::RunSpec make_spec(const ExperimentDefinition& experiment, const CellDefinition& cell,
                           int64_t seed, const RunConfig& config, const RunnerOptions& options) {
  return {experiment.store_experiment,
          cell.name,
          config.dataset.name,
          cell.variant,
          seed,
          to_yaml(config),
          DTI_CODE_VERSION,
          TORCH_VERSION,
          options.device};
}

}  // namespace detail

using namespace detail;

namespace {

template <typename T>
T get(const YAML::Node& node, const char* key, T fallback) {
  return node[key] ? node[key].as<T>() : fallback;
}

void emit_optional(YAML::Emitter& out, const char* key, const std::optional<double>& v) {
  if (v) out << YAML::Key << key << YAML::Value << *v;
}

void emit_optional(YAML::Emitter& out, const char* key, const std::optional<int64_t>& v) {
  if (v) out << YAML::Key << key << YAML::Value << *v;
}

void emit_spec(YAML::Emitter& out, const reports::RunSpec& s) {
  out << YAML::Key << "experiment" << YAML::Value << s.experiment << YAML::Key << "cell"
      << YAML::Value << s.cell << YAML::Key << "dataset" << YAML::Value << s.dataset << YAML::Key
      << "variant" << YAML::Value << s.variant << YAML::Key << "seed" << YAML::Value << s.seed
      << YAML::Key << "code_version" << YAML::Value << s.code_version << YAML::Key
      << "libtorch_version" << YAML::Value << s.libtorch_version << YAML::Key << "device"
      << YAML::Value << s.device << YAML::Key << "config" << YAML::Value << YAML::Literal
      << s.config_text;
}

reports::RunSpec read_spec(const YAML::Node& n) {
  reports::RunSpec s;
  s.experiment = get<std::string>(n, "experiment", "");
  s.cell = get<std::string>(n, "cell", "");
  s.dataset = get<std::string>(n, "dataset", "");
  s.variant = get<std::string>(n, "variant", "");
  s.seed = get<int64_t>(n, "seed", 0);
  s.code_version = get<std::string>(n, "code_version", "");
  s.libtorch_version = get<std::string>(n, "libtorch_version", "");
  s.device = get<std::string>(n, "device", "");
  s.config_text = get<std::string>(n, "config", "");
  return s;
}

std::string record_text(const FolderRecord& r) {
  YAML::Emitter out;
  out.SetDoublePrecision(17);  // metrics must read back bit-identical
  out << YAML::BeginMap << YAML::Key << "status" << YAML::Value << r.status;
  emit_spec(out, r.spec);
  out << YAML::Key << "host" << YAML::Value << r.host << YAML::Key << "started_at" << YAML::Value
      << r.started_at << YAML::Key << "ended_at" << YAML::Value << r.ended_at << YAML::Key
      << "attempts" << YAML::Value << r.attempts << YAML::Key << "error" << YAML::Value << r.error
      << YAML::Key << "slurm_task" << YAML::Value << r.slurm_task << YAML::Key << "log"
      << YAML::Value << r.log_path << YAML::Key << "data_kind" << YAML::Value << r.data.kind
      << YAML::Key << "data_note" << YAML::Value << r.data.note;
  emit_optional(out, "final_loss", r.outcome.final_loss);
  emit_optional(out, "iterations", r.outcome.iterations);
  emit_optional(out, "images_per_second", r.outcome.images_per_second);
  emit_optional(out, "peak_memory_bytes", r.outcome.peak_memory_bytes);
  out << YAML::Key << "metrics" << YAML::Value << YAML::BeginSeq;
  for (const auto& m : r.metrics) {
    out << YAML::Flow << YAML::BeginSeq << m.name << m.value;
    if (m.iteration) out << *m.iteration;
    out << YAML::EndSeq;
  }
  out << YAML::EndSeq << YAML::Key << "artifacts" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : r.artifacts) {
    out << YAML::Flow << YAML::BeginSeq << a.kind << a.path << a.label;
    if (a.iteration) out << *a.iteration;
    out << YAML::EndSeq;
  }
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

FolderRecord parse_record(const YAML::Node& n) {
  FolderRecord r;
  r.status = get<std::string>(n, "status", "");
  r.spec = read_spec(n);
  r.data = {get<std::string>(n, "data_kind", ""), get<std::string>(n, "data_note", "")};
  r.host = get<std::string>(n, "host", "");
  r.started_at = get<std::string>(n, "started_at", "");
  r.ended_at = get<std::string>(n, "ended_at", "");
  r.attempts = get<int64_t>(n, "attempts", 1);
  r.error = get<std::string>(n, "error", "");
  r.slurm_task = get<std::string>(n, "slurm_task", "");
  r.log_path = get<std::string>(n, "log", "");
  if (n["final_loss"]) r.outcome.final_loss = n["final_loss"].as<double>();
  if (n["iterations"]) r.outcome.iterations = n["iterations"].as<int64_t>();
  if (n["images_per_second"]) r.outcome.images_per_second = n["images_per_second"].as<double>();
  if (n["peak_memory_bytes"]) r.outcome.peak_memory_bytes = n["peak_memory_bytes"].as<int64_t>();
  for (const auto& m : n["metrics"]) {
    reports::MetricPoint p{m[0].as<std::string>(), m[1].as<double>(), std::nullopt};
    if (m.size() > 2) p.iteration = m[2].as<int64_t>();
    r.metrics.push_back(p);
  }
  for (const auto& a : n["artifacts"]) {
    reports::Artifact art;
    art.kind = a[0].as<std::string>();
    art.path = a[1].as<std::string>();
    art.label = a[2].as<std::string>();
    if (a.size() > 3) art.iteration = a[3].as<int64_t>();
    r.artifacts.push_back(art);
  }
  return r;
}

}  // namespace

void write_progress(const std::string& run_dir, RunProgress p) {
  p.updated_at = utc_now();
  p.host = host_name();
  p.pid = getpid();
  p.slurm_task = slurm_task();
  p.log_path = env("DTI_TASK_LOG");
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "iteration" << YAML::Value << p.iteration << YAML::Key
      << "total_iterations" << YAML::Value << p.total_iterations << YAML::Key << "loss"
      << YAML::Value << p.loss << YAML::Key << "seconds_left" << YAML::Value << p.seconds_left
      << YAML::Key << "updated_at" << YAML::Value << p.updated_at << YAML::Key << "host"
      << YAML::Value << p.host << YAML::Key << "pid" << YAML::Value << p.pid << YAML::Key
      << "slurm_task" << YAML::Value << p.slurm_task << YAML::Key << "log" << YAML::Value
      << p.log_path << YAML::EndMap;
  reports::write_file_atomically(run_dir + "/" + kProgressFile, std::string(out.c_str()) + "\n");
}

std::optional<RunProgress> read_progress(const std::string& run_dir) {
  const std::string path = run_dir + "/" + kProgressFile;
  if (!fs::exists(path)) return std::nullopt;
  try {
    const YAML::Node n = YAML::LoadFile(path);
    RunProgress p;
    p.iteration = get<int64_t>(n, "iteration", 0);
    p.total_iterations = get<int64_t>(n, "total_iterations", 0);
    p.loss = get<double>(n, "loss", 0);
    p.seconds_left = get<double>(n, "seconds_left", 0);
    p.updated_at = get<std::string>(n, "updated_at", "");
    p.host = get<std::string>(n, "host", "");
    p.pid = get<int64_t>(n, "pid", 0);
    p.slurm_task = get<std::string>(n, "slurm_task", "");
    p.log_path = get<std::string>(n, "log", "");
    return p;
  } catch (const YAML::Exception&) {
    return std::nullopt;  // progress is advisory; the record and the store are authoritative
  }
}

void write_record(const std::string& run_dir, const FolderRecord& record) {
  fs::create_directories(run_dir);
  reports::write_file_atomically(run_dir + "/" + kRecordFile, record_text(record));
}

std::optional<FolderRecord> read_record(const std::string& run_dir) {
  const std::string path = run_dir + "/" + kRecordFile;
  if (!fs::exists(path)) return std::nullopt;
  try {
    return parse_record(YAML::LoadFile(path));
  } catch (const YAML::Exception& e) {
    throw Error(path + ": not a run record (" + e.what() +
                "); delete it to let the run's task write it again");
  }
}

std::vector<std::string> find_run_folders(const std::string& out_dir) {
  std::set<std::string> folders;
  const fs::path root = fs::path(out_dir) / layout::kRunsFolder;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return {};
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == kRecordFile || name == kProgressFile) {
      folders.insert(it->path().parent_path().string());
    }
  }
  return {folders.begin(), folders.end()};
}

CollectSummary collect_records(reports::Store& store, const std::string& out_dir,
                               std::ostream& log) {
  CollectSummary summary;
  for (const auto& dir : find_run_folders(out_dir)) {
    const auto record = read_record(dir);
    if (!record || (record->status != "finished" && record->status != "failed")) {
      ++summary.in_progress;
      continue;
    }
    const auto& spec = record->spec;
    store.ensure_experiment(spec.experiment);
    const reports::RunKey key{spec.experiment, spec.cell, spec.seed,
                              reports::config_hash(spec.config_text)};
    if (store.find_finished_run(key)) {
      ++summary.already;
      continue;
    }
    const auto unfinished = store.find_unfinished_run(key);
    if (unfinished && record->status == "failed") {
      ++summary.already;  // the store already says failed (or a local process holds it)
      continue;
    }
    // Artifacts a task wrote that are gone since (a cleaned scratch folder) are not recorded.
    std::vector<reports::Artifact> artifacts;
    for (const auto& a : record->artifacts) {
      if (fs::exists(a.path)) {
        artifacts.push_back(a);
      } else {
        log << "collect: " << a.path << " (" << a.kind << ") is gone; not recorded" << std::endl;
      }
    }
    if (unfinished) {
      // A run stored as failed (or left running) that has since finished: take it over.
      const auto claim = store.claim_run(spec);
      if (claim.result != reports::ClaimResult::resumed &&
          claim.result != reports::ClaimResult::started) {
        ++summary.already;
        continue;
      }
      // Idempotent steps, each in its own transaction: a kill before finish_run() leaves the
      // run unfinished, and the next collect takes it over and repeats them.
      const int64_t id = claim.run.id;
      store.record_metrics(id, record->metrics);
      for (const auto& a : artifacts)
        store.record_artifact(id, a.kind, a.path, a.label, a.iteration);
      store.set_data_source(id, record->data);
      store.finish_run(id, record->outcome);
    } else {
      reports::ImportedRun imported{
          spec,
          record->host,
          record->started_at,
          record->ended_at,
          record->status == "finished" ? reports::RunStatus::finished : reports::RunStatus::failed,
          record->outcome,
          record->error + (record->log_path.empty() ? "" : " (log " + record->log_path + ")"),
          record->metrics,
          artifacts,
          record->data};
      // One transaction: the run with its metrics, artifacts and data source, or nothing.
      if (store.import_runs({imported}) == 0) {
        ++summary.already;  // another collect got there first
        continue;
      }
    }
    log << "collect: " << spec.experiment << "/" << spec.cell << " seed " << spec.seed << ": "
        << record->status << " (" << dir << ")" << std::endl;
    ++summary.ingested;
  }
  return summary;
}

}  // namespace dti::experiments
