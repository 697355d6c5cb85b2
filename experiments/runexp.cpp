// runexp: the suite's command line (see experiments/cli/cli.h).
#include "experiments/cli/cli.h"

int main(int argc, char** argv) { return dti::experiments::runexp_main(argc, argv); }
