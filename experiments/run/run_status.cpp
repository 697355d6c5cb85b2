#include "experiments/run/run_status.h"

namespace dti::experiments {
namespace {
constexpr int kExitFailed = 1;
constexpr int kExitMissingData = 3;
constexpr int kExitInterrupted = 4;  // slurm_launcher.cpp's task script tests for it
}  // namespace

const char* status_name(RunStatus status) {
  switch (status) {
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kAlreadyFinished:
      return "already finished";
    case RunStatus::kRunningElsewhere:
      return "running elsewhere";
    case RunStatus::kMissingData:
      return "missing data";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "failed";
}

int exit_code(RunStatus status) {
  switch (status) {
    case RunStatus::kMissingData:
      return kExitMissingData;
    case RunStatus::kFailed:
      return kExitFailed;
    case RunStatus::kInterrupted:
      return kExitInterrupted;
    default:
      return 0;
  }
}

RunStatus status_from_exit_code(int code) {
  if (code == 0) return RunStatus::kFinished;
  if (code == kExitMissingData) return RunStatus::kMissingData;
  if (code == kExitInterrupted) return RunStatus::kInterrupted;
  return RunStatus::kFailed;
}

}  // namespace dti::experiments
