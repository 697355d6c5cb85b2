#include "experiments/results/status.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>

#include "base/strings.h"
#include "experiments/config/output_layout.h"
#include "experiments/run/run_record.h"
#include "experiments/suite/experiment_file.h"
#include "experiments/suite/registry.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// One run as status sees it, keyed by its folder under <out>/runs ("<exp>/<cell>/seed<s>-<hash>").
struct Row {
  std::optional<reports::RunRecord> stored;
  std::optional<FolderRecord> record;
  std::optional<RunProgress> progress;
  std::string slurm_task;   // from the latest submission listing the run
  std::string queue_state;  // squeue's state of that task ("" when not queued)
  std::string slurm_log;    // where that task's log goes
};

std::string key_of(const std::string& folder, const std::string& out_dir) {
  return fs::path(folder)
      .lexically_relative(fs::absolute(out_dir) / layout::kRunsFolder)
      .generic_string();
}

bool wanted(const std::string& key, const std::string& store_experiment) {
  return store_experiment.empty() || key.rfind(store_experiment + "/", 0) == 0;
}

// squeue's state of every task it knows, by "<array job>_<task>" (array tasks one per line).
std::map<std::string, std::string> queue_states() {
  std::map<std::string, std::string> states;
  FILE* pipe = popen("squeue -h -r -o '%i|%T' 2>/dev/null", "r");
  if (pipe == nullptr) return states;
  char line[512];
  while (fgets(line, sizeof line, pipe)) {
    std::string text(line);
    const auto bar = text.find('|');
    if (bar == std::string::npos) continue;
    std::string state = text.substr(bar + 1);
    while (!state.empty() && (state.back() == '\n' || state.back() == ' ')) state.pop_back();
    states[text.substr(0, bar)] = state;
  }
  pclose(pipe);
  return states;
}

// The submissions' task lists (<out>/slurm/<experiment>-<id>.tsv), oldest first.
void read_submissions(const RunnerOptions& options, std::map<std::string, Row>& rows) {
  const fs::path dir = fs::path(options.out_dir) / "slurm";
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  std::map<long, fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".tsv") continue;
    const std::string stem = entry.path().stem().string();
    try {
      files[std::stol(stem.substr(stem.rfind('-') + 1))] = entry.path();
    } catch (const std::exception&) {
    }
  }
  for (const auto& [id, path] : files) {
    const std::string stem = path.stem().string(), name = stem.substr(0, stem.rfind('-'));
    std::ifstream in(path);
    std::string task, folder;
    while (in >> task >> folder) {
      auto& row = rows[key_of(folder, options.out_dir)];
      row.slurm_task = task;
      row.slurm_log =
          (path.parent_path().parent_path() / "logs" / "slurm" / (name + "-" + task + ".log"))
              .string();
    }
  }
}

// pending, running, finished, failed or requeued, with a reason when it says more.
std::pair<std::string, std::string> state_of(const Row& r, bool have_squeue) {
  if ((r.stored && r.stored->status == reports::RunStatus::finished) ||
      (r.record && r.record->status == "finished")) {
    return {"finished", ""};
  }
  const bool requeued = r.record && r.record->status == "requeued";
  if (!r.queue_state.empty()) {
    if (r.queue_state == "RUNNING") return {"running", ""};
    if (r.queue_state == "PENDING") return {requeued ? "requeued" : "pending", ""};
    return {to_lower(r.queue_state), ""};
  }
  if (r.record && r.record->status == "failed") return {"failed", r.record->error};
  if (!r.slurm_task.empty() && have_squeue) {
    return {"failed", "task " + r.slurm_task + " left the queue without a record; see its log"};
  }
  if (r.stored && r.stored->status == reports::RunStatus::failed) {
    return {"failed", r.stored->error};
  }
  if (r.stored && r.stored->liveness == reports::Liveness::stale) {
    return {"failed", "process gone (killed?); rerunning resumes it from its checkpoint"};
  }
  if (requeued) return {"requeued", ""};
  if (r.stored || r.progress) return {"running", ""};
  return {"pending", ""};
}

std::string log_path(const Row& r) {
  if (r.record && !r.record->log_path.empty()) return r.record->log_path;
  if (r.progress && !r.progress->log_path.empty()) return r.progress->log_path;
  return r.slurm_log;
}

void print_row(const std::string& key, const Row& r, bool have_squeue, std::ostream& out) {
  const auto [state, reason] = state_of(r, have_squeue);
  out << std::left << std::setw(48) << key << " " << std::setw(9) << state << " " << std::setw(14)
      << (r.slurm_task.empty() ? "-" : r.slurm_task);
  if (r.progress && state != "finished") {
    const auto& p = *r.progress;
    out << (state == "failed" ? " stopped at iteration " : " iteration ") << p.iteration << "/"
        << p.total_iterations << " loss " << std::setprecision(5) << p.loss;
    if (state != "failed") {
      out << " " << std::fixed << std::setprecision(0) << p.seconds_left << " s left"
          << std::defaultfloat;
    }
  } else if (r.stored && r.stored->outcome.iterations) {
    out << " iteration " << *r.stored->outcome.iterations;
  }
  const std::string log = log_path(r);
  if (!log.empty()) out << "  log " << log;
  if (!reason.empty()) out << "  (" << reason << ")";
  out << "\n";
}

}  // namespace

int print_status(const std::string& experiment, const RunnerOptions& options, std::ostream& out) {
  const std::string store_experiment =
      experiment.empty() ? "" : resolve_experiment(experiment).store_experiment;
  std::map<std::string, Row> rows;
  if (fs::exists(options.store_path())) {
    auto store = reports::Store::open(options.store_path());
    for (const auto& name : store.experiments()) {
      for (const auto& run : store.list_runs(reports::RunFilter(name))) {
        const std::string folder =
            run_folder(fs::absolute(options.out_dir).string(), run.spec.experiment, run.spec.cell,
                       run.spec.seed, run.config_hash);
        rows[key_of(folder, options.out_dir)].stored = run;
      }
    }
  }
  for (const auto& folder : find_run_folders(fs::absolute(options.out_dir).string())) {
    auto& row = rows[key_of(folder, options.out_dir)];
    try {
      row.record = read_record(folder);
    } catch (const std::exception& e) {
      out << "warning: " << e.what() << "\n";
    }
    row.progress = read_progress(folder);
  }
  read_submissions(options, rows);
  const bool have_squeue = std::system("command -v squeue >/dev/null 2>&1") == 0;
  const auto states = have_squeue ? queue_states() : std::map<std::string, std::string>{};
  int shown = 0, failed = 0;
  for (auto& [key, row] : rows) {
    if (!wanted(key, store_experiment)) continue;
    auto it = states.find(row.slurm_task);
    if (it != states.end()) row.queue_state = it->second;
    print_row(key, row, have_squeue, out);
    failed += state_of(row, have_squeue).first == "failed";
    ++shown;
  }
  if (shown == 0) {
    out << "no runs" << (experiment.empty() ? "" : " of " + experiment) << " under "
        << options.out_dir << " or in " << options.store_path() << "\n";
  }
  return failed > 0 ? 1 : 0;
}

int collect_runs(const RunnerOptions& options, std::ostream& out, std::ostream& log) {
  auto store = open_store(options);
  const auto summary = collect_records(store, options.out_dir, log);
  out << "collect: " << summary.ingested << " runs stored, " << summary.already
      << " already in the store, " << summary.in_progress << " still running or requeued ("
      << options.store_path() << ")\n";
  return 0;
}

}  // namespace dti::experiments
