#include "experiments/launch/slurm/slurm_cli.h"

#include <csignal>
#include <iostream>

#include "base/error.h"
#include "core/trainer.h"
#include "experiments/results/status.h"
#include "experiments/run/device_choice.h"
#include "experiments/run/run_record.h"

namespace dti::experiments {
namespace po = boost::program_options;

namespace {
extern "C" void on_usr1(int) { core::request_stop(); }
}  // namespace

po::options_description launcher_options(RunnerOptions& o) {
  auto& s = o.slurm;
  po::options_description d("launcher (docs/slurm.md)");
  d.add_options()("launcher", po::value(&o.launcher)->default_value("local"),
                  "local (this machine) or slurm (one job array, one task per unfinished run)")(
      "partition", po::value(&s.partition), "slurm: partition")(
      "gpus-per-run", po::value(&s.gpus_per_run)->default_value(0), "slurm: GPUs per task")(
      "cpus-per-run", po::value(&s.cpus_per_run)->default_value(0),
      "slurm: CPUs per task (also the LibTorch threads)")("mem", po::value(&s.mem),
                                                          "slurm: memory per task, e.g. 16G")(
      "time", po::value(&s.time), "slurm: time limit per task, e.g. 1-00:00:00")(
      "account", po::value(&s.account), "slurm: account")("qos", po::value(&s.qos), "slurm: QOS")(
      "sbatch-arg", po::value(&s.sbatch_args)->composing(),
      "slurm: passed to sbatch as it is, e.g. --sbatch-arg=--constraint=a100 (repeatable)")(
      "signal-seconds", po::value(&s.signal_seconds)->default_value(300),
      "slurm: seconds before the time limit when a task checkpoints and is requeued");
  return d;
}

void check_launcher_options(RunnerOptions& o) {
  DTI_CHECK(o.launcher == "local" || o.launcher == "slurm", "--launcher: unknown value '",
            o.launcher, "'; valid: local, slurm");
  if (o.launcher == "slurm") {
    DTI_CHECK(o.jobs == 1, "--jobs ", o.jobs,
              " runs jobs on this machine; with --launcher slurm every run is its own task");
    DTI_CHECK(o.runs_per_gpu == 1 && o.gpus.empty(),
              "--runs-per-gpu and --gpus place runs on this machine's GPUs; with --launcher "
              "slurm, Slurm places each task (--gpus-per-run)");
    const int gpus = o.slurm.gpus_per_run;
    DTI_CHECK(gpus == 0 || o.device != "cpu", "--gpus-per-run ", gpus,
              " with --device cpu: the tasks would leave their GPUs idle; drop one of the two");
    DTI_CHECK(gpus > 0 || o.device.rfind("cuda", 0) != 0, "--device ", o.device,
              " with --launcher slurm needs --gpus-per-run N: Slurm gives a task no GPU unless "
              "asked");
    o.device = device_for_task(o.device, gpus);
    return;
  }
  const auto& s = o.slurm;
  DTI_CHECK(s.partition.empty() && s.gpus_per_run == 0 && s.cpus_per_run == 0 && s.mem.empty() &&
                s.time.empty() && s.account.empty() && s.qos.empty() && s.sbatch_args.empty(),
            "Slurm options (--partition, --gpus-per-run, ...) need --launcher slurm");
}

int run_cell_job(const ExperimentDefinition& experiment, const CellDefinition& cell,
                 const CellJob& job) {
  if (!job.mark_failed.empty()) {
    mark_folder_failed(experiment, cell, job.seed, job.options, job.mark_failed);
    return exit_code(RunStatus::kFailed);
  }
  // Preemption or the time limit (Slurm's --signal): checkpoint, then exit 4 (run_status.h).
  std::signal(SIGUSR1, on_usr1);
  const CellRun result =
      job.folder_record ? run_cell_to_folder(experiment, cell, job.seed, job.options, std::cerr)
                        : run_cell(experiment, cell, job.seed, job.options, std::cerr);
  return exit_code(result.status);
}

int status_or_collect(const std::string& command, const std::string& experiment,
                      const RunnerOptions& o) {
  if (command == "collect") return collect_runs(o, std::cout, std::cerr);
  return print_status(experiment, o, std::cout);
}

}  // namespace dti::experiments
