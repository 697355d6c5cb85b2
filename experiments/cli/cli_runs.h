#pragma once
// The `runexp` subcommands that train (cli.cpp dispatches to them): a paper experiment, one
// launcher's cell (run-cell), one configuration (train) and the user's own images
// (cluster|decompose). Each takes the arguments after the command name (argv[0] is the command)
// and returns the exit code; usage errors throw cli::UsageError.

#include <string>

#include "experiments/results/own_data.h"

namespace dti::experiments::cli {

/// `runexp table1|...|fig9 [options]`.
int cmd_experiment(const std::string& name, int argc, char** argv);

/// `runexp run-cell EXPERIMENT --cell C --seed S ...` (cell_job.h); exit code per run_status.h.
int cmd_run_cell(int argc, char** argv);

/// `runexp train --config FILE [--seed S] [--resume]`.
int cmd_train(int argc, char** argv);

/// `runexp cluster|decompose --data FILE ...` (own_data.h).
int cmd_own_data(OwnDataCommand command, int argc, char** argv);

}  // namespace dti::experiments::cli
