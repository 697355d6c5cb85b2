#include "experiments/launch/launcher.h"

#include <ATen/Parallel.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>

#include "base/error.h"
#include "experiments/config/output_layout.h"
#include "experiments/launch/gpu_placement.h"
#include "experiments/launch/slurm/slurm_launcher.h"
#include "experiments/results/render.h"
#include "experiments/run/run_preflight.h"

extern char** environ;

namespace dti::experiments {
namespace fs = std::filesystem;

namespace {

// Runs each job here, one after another.
class InProcessLauncher : public LocalLauncher {
 public:
  using LocalLauncher::LocalLauncher;
  std::vector<CellRun> run(const ExperimentDefinition& experiment, const std::vector<CellJob>& jobs,
                           std::ostream& log) override {
    std::vector<CellRun> results;
    for (const auto& job : jobs) {
      results.push_back(
          run_cell(experiment, find_cell(experiment, job.cell), job.seed, job.options, log));
      // A full disk fails every later run too: stop the table at the first one.
      if (results.back().status == RunStatus::kFailed && is_no_space_error(results.back().detail)) {
        log << experiment.name << ": the disk is full; the " << jobs.size() - results.size()
            << " remaining runs are not started: free some space and run again" << std::endl;
        break;
      }
    }
    return results;
  }
};

// Starts `runexp run-cell <job>` with stdout and stderr going to `log_path`, on GPU `gpu` (its
// only visible one) when not empty.
pid_t spawn_job(const std::string& self, const CellJob& job, const std::string& log_path,
                const std::string& gpu) {
  std::vector<std::string> args = {self, "run-cell"};
  const auto job_args = cell_job_args(job);
  args.insert(args.end(), job_args.begin(), job_args.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  if (!gpu.empty()) env_strings = child_environment(environ, gpu);
  std::vector<char*> env;
  for (auto& e : env_strings) env.push_back(e.data());
  env.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(),
                             gpu.empty() ? environ : env.data());
  posix_spawn_file_actions_destroy(&actions);
  DTI_CHECK(rc == 0, "cannot start a job for ", job.cell, " seed ", job.seed, ": ",
            std::strerror(rc));
  return pid;
}

// Whether the end of a job's log reports a full disk (its last error is what ended it).
bool log_reports_full_disk(const std::string& log_path) {
  std::ifstream file(log_path, std::ios::binary | std::ios::ate);
  if (!file) return false;
  const std::streamoff size = file.tellg();
  const std::streamoff tail = std::min<std::streamoff>(size, 16 * 1024);
  std::string text(static_cast<size_t>(tail), '\0');
  file.seekg(size - tail);
  file.read(text.data(), tail);
  return is_no_space_error(text);
}

// A pool of child processes, at most `jobs` at a time.
class ProcessPoolLauncher : public LocalLauncher {
 public:
  using LocalLauncher::LocalLauncher;

  std::vector<CellRun> run(const ExperimentDefinition& experiment, const std::vector<CellJob>& jobs,
                           std::ostream& log) override {
    prepare_data(experiment, jobs, log);
    const GpuPlacement placement = gpu_placement(options_);
    const int at_once = placement.concurrent(options_.jobs);
    std::vector<int> on_gpu(placement.gpus.size(), 0);
    const int total = options_.threads > 0 ? options_.threads : at::get_num_threads();
    const int per_job = std::max(1, total / at_once);
    const std::string log_dir = layout::logs_folder(options_.out_dir);
    fs::create_directories(log_dir);
    const std::string self = options_.self_path.empty() ? "/proc/self/exe" : options_.self_path;
    struct Running {
      CellJob job;
      std::string log_path;
      int gpu = -1;  // index into placement.gpus, -1 = none
    };
    std::map<pid_t, Running> running;
    std::vector<CellRun> results;
    size_t next = 0;
    bool disk_full = false;
    while ((!disk_full && next < jobs.size()) || !running.empty()) {
      while (!disk_full && next < jobs.size() && static_cast<int>(running.size()) < at_once) {
        CellJob job = jobs[next++];
        job.options.threads = per_job;
        const std::string path = log_dir + "/" + log_name(experiment, job);
        const int gpu = placement.active() ? placement.pick(on_gpu) : -1;
        if (gpu >= 0) ++on_gpu[gpu];
        const std::string gpu_name = gpu >= 0 ? placement.gpus[gpu] : "";
        running[spawn_job(self, job, path, gpu_name)] = {job, path, gpu};
        log << "job started: " << job.cell << " seed " << job.seed
            << (gpu >= 0 ? " on GPU " + gpu_name : "") << " (log " << path << ")" << std::endl;
      }
      int status = 0;
      const pid_t pid = waitpid(-1, &status, 0);
      auto it = running.find(pid);
      if (it == running.end()) continue;
      const auto& [job, path, gpu] = it->second;
      if (gpu >= 0) --on_gpu[gpu];
      const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      const RunStatus verdict = status_from_exit_code(code);
      results.push_back(
          {job.cell, job.seed, verdict, "exit " + std::to_string(code) + ", log " + path});
      log << "job " << status_name(verdict) << ": " << job.cell << " seed " << job.seed
          << std::endl;
      // A full disk fails every later run too: start no more (the running ones end on their own).
      if (!disk_full && verdict == RunStatus::kFailed && log_reports_full_disk(path)) {
        disk_full = true;
        log << experiment.name << ": the disk is full; the " << jobs.size() - next
            << " remaining runs are not started: free some space and run again" << std::endl;
      }
      running.erase(it);
    }
    return results;
  }

 private:
  // Generated data is made once up front, so parallel jobs never race to write it.
  static void prepare_data(const ExperimentDefinition& experiment, const std::vector<CellJob>& jobs,
                           std::ostream& log) {
    for (const auto& cell : experiment.cells) {
      for (const auto& job : jobs) {
        if (job.cell != cell.name) continue;
        try {
          ensure_dataset(cell_config(cell, job.options, job.seed), job.options.data_dir, log);
        } catch (const MissingData&) {
        }
        break;
      }
    }
  }

  static std::string log_name(const ExperimentDefinition& experiment, const CellJob& job) {
    std::string name =
        experiment.name + "_" + job.cell + "_seed" + std::to_string(job.seed) + ".log";
    std::replace(name.begin(), name.end(), '/', '_');
    return name;
  }
};

}  // namespace

int LocalLauncher::launch(const ExperimentDefinition& experiment, const std::vector<CellJob>& jobs,
                          std::ostream& out, std::ostream& log) {
  const auto results = run(experiment, jobs, log);
  int failed = 0;
  out << "\n" << experiment.name << ": " << results.size() << " runs\n";
  for (const auto& r : results) {
    out << "  " << r.cell << " seed " << r.seed << ": " << status_name(r.status)
        << (r.detail.empty() ? "" : " (" + r.detail + ")") << "\n";
    failed += r.status == RunStatus::kFailed;
  }
  render_results(experiment, options_, out);
  return failed > 0 ? 1 : 0;
}

std::unique_ptr<LocalLauncher> make_local_launcher(const RunnerOptions& options) {
  if (options.jobs <= 1) return std::make_unique<InProcessLauncher>(options);
  return std::make_unique<ProcessPoolLauncher>(options);
}

std::unique_ptr<Launcher> make_launcher(const RunnerOptions& options) {
  if (options.launcher == "slurm") return make_slurm_launcher(options);
  return make_local_launcher(options);
}

}  // namespace dti::experiments
