#pragma once
// Your own experiments from the command line (docs/compare.md): an experiment file run like a
// paper table, a sweep written as one, and the comparison of a stored experiment's cells.

namespace dti::experiments::cli {

/// `runexp run FILE.yml [options]` (experiment_file.h).
int cmd_run_file(int argc, char** argv);

/// `runexp sweep --config C --grid KEY=V1,V2,... [--grid ...] [--name N] [options]`: writes
/// <out>/experiments/<name>.yml, then runs it.
int cmd_sweep(int argc, char** argv);

/// `runexp compare EXPERIMENT [--baseline CELL] [--metric M]...` (comparison.h).
int cmd_compare(int argc, char** argv);

}  // namespace dti::experiments::cli
