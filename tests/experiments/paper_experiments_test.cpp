// The paper's experiments (table1 ... fig9), read from their shipped files, are exactly the ones
// the suite defined in code before (tests/fixtures/paper_experiments.txt was written by that
// code): the same names, titles, store experiments, seeds, outlier policies, cells, overrides and
// the config hash of every cell, hence the same --dry-run plans and the same stored runs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "base/strings.h"
#include "experiments/run/cell_run.h"
#include "experiments/suite/registry.h"
#include "reports/store.h"

namespace dti::experiments {
namespace {

std::string describe_all() {
  std::ostringstream out;
  for (const auto& e : experiment_definitions()) {
    out << "experiment " << e.name << " | " << e.description << " | store " << e.store_experiment
        << " | table " << e.table << " | seeds " << e.seeds << " | outliers "
        << reports::outlier_policy_name(e.outlier_policy) << " | sweep '" << e.sweep_parameter
        << "' categorical " << e.sweep_categorical << " | baseline '" << e.baseline
        << "' | source '" << e.source << "'\n";
    for (const auto& c : e.cells) {
      out << "  cell " << c.name << " | config " << c.config << " | variant " << c.variant
          << " | set " << join(c.overrides, " ");
      RunnerOptions paper;
      RunnerOptions smoke;
      smoke.preset = "smoke";
      out << " | paper seed 0 " << reports::config_hash(to_yaml(cell_config(c, paper, 0)))
          << " | smoke seed 3 " << reports::config_hash(to_yaml(cell_config(c, smoke, 3))) << "\n";
    }
  }
  return out.str();
}

TEST(PaperExperiments, TheShippedFilesDefineWhatTheCodeDefinedBefore) {
  const std::string fixture = std::string(DTI_FIXTURES_DIR) + "/paper_experiments.txt";
  const std::string now = describe_all();
  if (const char* write = std::getenv("DTI_WRITE_PAPER_EXPERIMENTS_FIXTURE"); write && *write) {
    std::ofstream(fixture) << now;  // only to record a deliberate change (docs/compare.md)
  }
  std::ifstream in(fixture);
  ASSERT_TRUE(in) << "missing " << fixture;
  std::ostringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(now, expected.str());
}

}  // namespace
}  // namespace dti::experiments
