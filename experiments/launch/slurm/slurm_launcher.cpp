#include "experiments/launch/slurm/slurm_launcher.h"

#include <ATen/detail/CUDAHooksInterface.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <optional>
#include <ostream>
#include <sstream>

#include "base/error.h"
#include "experiments/config/config.h"
#include "experiments/config/output_layout.h"
#include "experiments/launch/pending.h"
#include "experiments/launch/plan.h"
#include "experiments/run/cell_run.h"
#include "experiments/run/run_record.h"
#include "experiments/run/run_status.h"

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command; returns its exit code and its output (stdout and stderr).
std::pair<int, std::string> run_command(const std::string& command) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  DTI_CHECK(pipe != nullptr, "cannot run '", command, "'");
  std::string output;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128, output};
}

bool on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream in(path ? path : "");
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// Whether this LibTorch was built with CUDA (not whether this node has a GPU: login nodes often
// have none, while the tasks' nodes do).
bool torch_has_cuda() {
  try {
    at::detail::getCUDAHooks().versionCUDART();
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

std::string self_executable(const RunnerOptions& options) {
  if (!options.self_path.empty()) return fs::absolute(options.self_path).string();
  return fs::read_symlink("/proc/self/exe").string();
}

void add_directive(std::ostream& s, const std::string& flag, const std::string& value) {
  if (!value.empty()) s << "#SBATCH " << flag << "=" << value << "\n";
}

// The task-side shell: runexp in the background so that the batch shell, which Slurm signals
// (B:USR1), can forward USR1 to it; exit 4 means "checkpoint written, requeue me".
constexpr const char* kTaskBody = R"sh(
# USR1 (time limit or preemption, --signal=B:USR1@...) goes to this shell; runexp gets it, writes
# its checkpoint and exits EXIT_INTERRUPTED; the task is then requeued and resumes from that
# checkpoint.
"$RUNEXP" run-cell "${args[@]}" --folder-record &
pid=$!
trap 'kill -USR1 "$pid" 2>/dev/null' USR1
while :; do
  wait "$pid"
  kill -0 "$pid" 2>/dev/null || break
done
rc=0
wait "$pid" || rc=$?
case "$rc" in
  0|"$EXIT_MISSING_DATA") exit "$rc" ;;
  "$EXIT_INTERRUPTED") scontrol requeue "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"; exit 0 ;;
  *) reason="exit code $rc"
     [ "$rc" -gt 128 ] && reason="killed by signal $((rc - 128))"
     "$RUNEXP" run-cell "${args[@]}" --mark-failed "$reason; log $DTI_TASK_LOG"
     exit "$rc" ;;
esac
)sh";

std::string timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// The runs still to make (pending.h): data present (generated now when it can be), not
// finished in the store; each other job is said on `log`.
std::vector<CellJob> unfinished_jobs(const ExperimentDefinition& experiment,
                                     const std::vector<CellJob>& jobs, const RunnerOptions& options,
                                     std::ostream& log) {
  std::vector<CellJob> todo;
  for (auto& check : check_jobs(experiment, jobs, options, !options.dry_run, log)) {
    if (check.state == JobState::kPending) {
      todo.push_back(std::move(check.job));
    } else {
      log << check.job.cell << " seed " << check.job.seed << ": " << check.detail
          << (options.dry_run ? ", would not be submitted" : ", not submitted") << std::endl;
    }
  }
  return todo;
}

// Folders are absolute in the tasks: they start elsewhere, maybe on another node.
CellJob absolute_job(CellJob job) {
  auto& o = job.options;
  o.db_path = fs::absolute(o.store_path()).string();
  o.out_dir = fs::absolute(o.out_dir).string();
  o.data_dir = fs::absolute(o.data_dir).string();
  if (o.slurm.cpus_per_run > 0 && o.threads == 0) o.threads = o.slurm.cpus_per_run;
  job.folder_record = false;  // the script adds it
  return job;
}

std::string submit(const std::string& command, std::ostream& log) {
  log << "+ " << command << std::endl;
  const auto [rc, output] = run_command(command);
  DTI_CHECK(rc == 0, "sbatch failed (exit ", rc, "): ", output);
  std::string id = output.substr(0, output.find_first_of(";\n"));
  return id;
}

}  // namespace

long slurm_time_seconds(const std::string& text) {
  if (text.empty() || text == "UNLIMITED" || text == "infinite") return -1;
  long days = 0;
  std::string rest = text;
  const auto dash = text.find('-');
  std::vector<long> parts;
  try {
    if (dash != std::string::npos) {
      days = std::stol(text.substr(0, dash));
      rest = text.substr(dash + 1);
    }
    std::stringstream in(rest);
    std::string part;
    while (std::getline(in, part, ':')) {
      size_t used = 0;
      parts.push_back(std::stol(part, &used));
      DTI_CHECK(used == part.size(), "bad number");
    }
  } catch (const std::exception&) {
    parts.clear();
  }
  DTI_CHECK(!parts.empty() && parts.size() <= 3,
            "--time: expected MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS, got '", text, "'");
  long seconds = 0;
  if (dash != std::string::npos) {  // D-HH, D-HH:MM, D-HH:MM:SS
    const long mult[] = {3600, 60, 1};
    for (size_t i = 0; i < parts.size(); ++i) seconds += parts[i] * mult[i];
  } else if (parts.size() == 1) {
    seconds = parts[0] * 60;
  } else if (parts.size() == 2) {
    seconds = parts[0] * 60 + parts[1];
  } else {
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
  }
  return days * 86400 + seconds;
}

void check_slurm_setup(const RunnerOptions& options, std::ostream& log) {
  const auto& s = options.slurm;
  DTI_CHECK(on_path("sbatch"),
            "--launcher slurm: sbatch is not on PATH; run on a Slurm login node (or add Slurm's "
            "bin folder to PATH), or use --launcher local");
  DTI_CHECK(s.gpus_per_run == 0 || torch_has_cuda(), "--gpus-per-run ", s.gpus_per_run,
            ": this runexp is built against a CPU-only LibTorch; build against a CUDA LibTorch "
            "(docs/building.md) or drop --gpus-per-run");
  DTI_CHECK(s.gpus_per_run >= 0 && s.cpus_per_run >= 0 && s.signal_seconds > 0,
            "--gpus-per-run and --cpus-per-run must be >= 0 and --signal-seconds > 0");
  if (!s.partition.empty()) {
    const auto [rc, output] = run_command("scontrol show partition " + quote(s.partition));
    std::string said = output;
    while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) said.pop_back();
    DTI_CHECK(rc == 0, "--partition ", s.partition, ": Slurm says: ", said,
              " (`sinfo -s` lists the partitions)");
  }
}

namespace {

// Iterations from one checkpoint to the next of a run of `c`: training.checkpoint_interval, or
// the whole run when it checkpoints only at the end (0 when its length is not known here).
int64_t checkpoint_iterations(const RunConfig& c) {
  int64_t total = c.training.max_iterations;
  if (c.dataset.n_images > 0) {
    const int64_t epochs =
        c.training.n_epochs * ((c.dataset.n_images + c.batch_size - 1) / c.batch_size);
    total = total > 0 ? std::min(total, epochs) : epochs;
  }
  if (c.training.checkpoint_interval <= 0) return std::max<int64_t>(total, 0);
  return total > 0 ? std::min(total, c.training.checkpoint_interval)
                   : c.training.checkpoint_interval;
}

}  // namespace

std::string time_limit_warning(const ExperimentDefinition& experiment,
                               const std::vector<CellJob>& jobs, const RunnerOptions& options) {
  const auto& s = options.slurm;
  const long limit = slurm_time_seconds(s.time);
  if (limit < 0) return "";
  std::ostringstream w;
  const long budget = limit - s.signal_seconds;  // training before USR1 (start-up included)
  if (budget <= 0) {
    w << "warning: --time " << s.time << " (" << limit << " s) is not longer than --signal-seconds "
      << s.signal_seconds << ": every task is signalled to checkpoint as soon as it starts and "
      << "never trains; give a longer --time (or a smaller --signal-seconds)";
    return w.str();
  }
  // Speeds as `--dry-run` estimates them: the store's finished runs of the dataset on the tasks'
  // device, else (CPU) the measured benchmark speed; cells of unknown speed are not judged.
  std::optional<reports::Store> store;
  if (fs::exists(options.store_path())) store = reports::Store::open(options.store_path());
  const std::string device = s.gpus_per_run > 0 ? "cuda" : options.device;
  double worst = 0;
  for (const auto& job : jobs) {
    const auto config = cell_config(find_cell(experiment, job.cell), job.options, job.seed);
    const int64_t iterations = checkpoint_iterations(config);
    const double rate = expected_rate(store ? &*store : nullptr, experiment.store_experiment,
                                      config.dataset.name, device);
    if (iterations <= 0 || rate <= 0) continue;
    const double seconds = static_cast<double>(iterations * config.batch_size) / rate;
    if (seconds <= static_cast<double>(budget) || seconds <= worst) continue;
    worst = seconds;
    const auto fits = std::max<int64_t>(
        1, static_cast<int64_t>(static_cast<double>(budget) * rate / config.batch_size / 2));
    w.str("");
    w << "warning: --time " << s.time << " leaves a task " << budget
      << " s of training before its checkpoint signal (--signal-seconds " << s.signal_seconds
      << "), less than one checkpoint interval of " << job.cell << ": " << iterations
      << " iterations of " << config.batch_size << " images, about " << std::fixed
      << std::setprecision(0) << seconds << " s at " << rate << " img/s on " << device
      << std::defaultfloat << " (the estimate of --dry-run). The signal still checkpoints and "
      << "requeues the task, but an attempt ended without it (killed at the limit, a node "
      << "failure) loses all its training: give a longer --time or checkpoint more often, e.g. "
      << "--set training.checkpoint_interval=" << fits;
  }
  return w.str();
}

std::string slurm_batch_script(const std::string& experiment, const std::vector<CellJob>& jobs,
                               const RunnerOptions& options, const std::string& self) {
  const auto& s = options.slurm;
  const std::string logs = layout::slurm_logs_folder(fs::absolute(options.out_dir).string());
  std::ostringstream out;
  out << "#!/bin/bash\n";
  add_directive(out, "--job-name", "dti-" + experiment);
  add_directive(out, "--array", "0-" + std::to_string(jobs.size() - 1));
  out << "#SBATCH --requeue\n";
  add_directive(out, "--signal", "B:USR1@" + std::to_string(s.signal_seconds));
  add_directive(out, "--output", logs + "/" + experiment + "-%A_%a.log");
  add_directive(out, "--open-mode", "append");  // a requeued task appends to its log
  add_directive(out, "--partition", s.partition);
  add_directive(out, "--account", s.account);
  add_directive(out, "--qos", s.qos);
  add_directive(out, "--mem", s.mem);
  add_directive(out, "--time", s.time);
  if (s.cpus_per_run > 0) add_directive(out, "--cpus-per-task", std::to_string(s.cpus_per_run));
  if (s.gpus_per_run > 0) add_directive(out, "--gpus-per-task", std::to_string(s.gpus_per_run));
  for (const auto& a : s.sbatch_args) out << "#SBATCH " << a << "\n";
  out << "# Written by runexp " << experiment << " --launcher slurm: task i runs run i below.\n"
      << "# Tasks write their results into their run folders, never the SQLite store\n"
      << "# (experiments/run/run_record.h); the collect job submitted after this array ingests "
         "them.\n"
      << "RUNEXP=" << quote(self) << "\n"
      << "# runexp run-cell's exit codes (experiments/run/run_status.h).\n"
      << "EXIT_MISSING_DATA=" << exit_code(RunStatus::kMissingData)
      << " EXIT_INTERRUPTED=" << exit_code(RunStatus::kInterrupted) << "\n"
      << "export DTI_TASK_LOG=" << quote(logs + "/" + experiment + "-")
      << "\"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}.log\"\n"
      << "case \"$SLURM_ARRAY_TASK_ID\" in\n";
  for (size_t i = 0; i < jobs.size(); ++i) {
    out << "  " << i << ") args=(";
    const auto args = cell_job_args(jobs[i]);
    for (size_t a = 0; a < args.size(); ++a) out << (a ? " " : "") << quote(args[a]);
    out << ") ;;\n";
  }
  out << "  *) echo \"no run for task $SLURM_ARRAY_TASK_ID\" >&2; exit 2 ;;\nesac" << kTaskBody;
  return out.str();
}

int submit_to_slurm(const ExperimentDefinition& experiment, const std::vector<CellJob>& jobs,
                    const RunnerOptions& options, std::ostream& out, std::ostream& log) {
  if (!options.dry_run) check_slurm_setup(options, log);
  if (!options.dry_run && fs::exists(layout::runs_folder(options.out_dir))) {
    auto store = open_store(options);
    const auto done = collect_records(store, options.out_dir, log);
    log << "collect: " << done.ingested << " runs stored" << std::endl;
  }
  std::vector<CellJob> todo;
  for (const auto& job : unfinished_jobs(experiment, jobs, options, log)) {
    todo.push_back(absolute_job(job));
  }
  if (todo.empty()) {
    out << experiment.name << ": every run is finished or lacks its data; nothing to submit\n";
    return 0;
  }
  const std::string warning = time_limit_warning(experiment, todo, options);
  if (!warning.empty()) log << warning << std::endl;
  const std::string self = self_executable(options);
  const std::string script = slurm_batch_script(experiment.name, todo, options, self);
  if (options.dry_run) {
    out << script;
    return 0;
  }
  const std::string dir = fs::absolute(options.out_dir).string() + "/slurm";
  fs::create_directories(fs::absolute(options.out_dir) / "logs" / "slurm");
  fs::create_directories(dir);
  const std::string path = dir + "/" + experiment.name + "-" + timestamp() + ".sh";
  std::ofstream(path) << script;
  const std::string id = submit("sbatch --parsable " + quote(path), log);
  std::ofstream manifest(dir + "/" + experiment.name + "-" + id + ".tsv");
  for (size_t i = 0; i < todo.size(); ++i) {  // read by status.cpp
    const auto& job = todo[i];
    const auto config = cell_config(find_cell(experiment, job.cell), job.options, job.seed);
    manifest << id << "_" << i << "\t"
             << run_folder(job.options.out_dir, experiment.store_experiment, job.cell, job.seed,
                           reports::config_hash(to_yaml(config)))
             << "\n";
  }
  const auto& s = options.slurm;
  std::string collect = "sbatch --parsable --dependency=afterany:" + id +
                        " --job-name=dti-collect-" + experiment.name + " --output=" +
                        quote(layout::slurm_logs_folder(fs::absolute(options.out_dir).string()) +
                              "/" + experiment.name + "-" + id + "-collect.log");
  for (const auto& [flag, value] :
       {std::pair{"--partition", s.partition}, {"--account", s.account}, {"--qos", s.qos}}) {
    if (!value.empty()) collect += std::string(" ") + flag + "=" + quote(value);
  }
  collect += " --wrap=" + quote(quote(self) + " collect --out " + quote(todo[0].options.out_dir) +
                                " --db " + quote(todo[0].options.db_path));
  const std::string collect_id = submit(collect, log);
  out << experiment.name << ": submitted job array " << id << " (" << todo.size()
      << " runs; script " << path << ") and collect job " << collect_id
      << "; watch with: runexp status " << experiment.name << " --out " << options.out_dir << "\n";
  return 0;
}

namespace {

class SlurmLauncher : public Launcher {
 public:
  explicit SlurmLauncher(RunnerOptions options) : options_(std::move(options)) {}
  int launch(const ExperimentDefinition& experiment, const std::vector<CellJob>& jobs,
             std::ostream& out, std::ostream& log) override {
    return submit_to_slurm(experiment, jobs, options_, out, log);
  }

 private:
  RunnerOptions options_;
};

}  // namespace

std::unique_ptr<Launcher> make_slurm_launcher(const RunnerOptions& options) {
  return std::make_unique<SlurmLauncher>(options);
}

}  // namespace dti::experiments
