#pragma once
// What became of one (cell, seed), and the exit code that carries it from a child process (a
// `runexp run-cell` job, a Slurm task) back to the process that launched it. One table maps the
// two, so launcher and child cannot disagree.

#include <string>

namespace dti::experiments {

/// Outcome of one run attempt.
enum class RunStatus {
  kFinished,          ///< Trained (or resumed), evaluated and recorded now.
  kAlreadyFinished,   ///< The store holds a finished run of this configuration: not trained again.
  kRunningElsewhere,  ///< A live process holds the run.
  kMissingData,       ///< The dataset file must be made by the user first.
  kFailed,            ///< Training, evaluation or recording failed (stored with the error).
  kInterrupted,       ///< Stopped by SIGUSR1 (preemption, time limit) with its checkpoint written.
};

/// "finished", "already finished", "running elsewhere", "missing data", "failed", "interrupted".
const char* status_name(RunStatus status);

/// Process exit code of a run with `status`: 0 for finished / already finished / running
/// elsewhere, 3 for missing data, 4 for interrupted (the Slurm task script requeues it), 1 for
/// failed.
int exit_code(RunStatus status);

/// The status a child's exit code stands for (0 → finished, 3 → missing data, 4 → interrupted,
/// anything else, signals included, → failed).
RunStatus status_from_exit_code(int code);

}  // namespace dti::experiments
