#pragma once
// The `runexp` command line: the one program of the suite. Every subcommand is parsed with
// Boost.Program_options, has --help, and returns 2 for usage errors (listing the valid choices).

namespace dti::experiments {

/// Runs `runexp` with its arguments (argv[0] is the program). Exit codes: 0 success, 1 a run or
/// file failed, 2 usage error, 3 (run-cell) the dataset is missing.
int runexp_main(int argc, char** argv);

}  // namespace dti::experiments
