#pragma once
// `runexp data ...`: the command line of the datasets library (it lives with runexp's other
// commands; datasets/ itself has no command line). runexp's main dispatches `runexp data
// ARGS...` here with argv[0] = "data".
//
//   data generate tetrominoes|multi_dsprites|multi_dsprites2 --n N --seed S --out FILE
//   data convert tetrominoes|multi_dsprites|clevr6|svhn|gtsrb8|weizmann_horse|folder
//                --input PATH... --out FILE [--limit N] [--labels CSV] [--size N]
//   data inspect FILE [--png GRID.png]
//   data export --format authors-png --input FILE --out DIR [--limit N] [--name FOLDER]
//
// Exit status: 0 success, 1 bad input file or failed work (message on stderr), 2 usage error
// (message and the valid choices on stderr), 130 interrupted (SIGINT/SIGTERM; no output left).

namespace dti::experiments {

/// Runs the `data` command; argv[0] is "data". Results go to stdout, progress and errors to stderr.
int data_main(int argc, char** argv);

}  // namespace dti::experiments
