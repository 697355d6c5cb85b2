// `dti_data_cli ARGS...` = `runexp data ARGS...`, for tests that need a separate process (exit
// status, signals) and for trying the command line before runexp links it.
#include "experiments/cli/data_cli.h"

int main(int argc, char** argv) {
  argv[0] = const_cast<char*>("data");
  return dti::experiments::data_main(argc, argv);
}
