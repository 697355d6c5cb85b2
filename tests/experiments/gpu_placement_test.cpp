// Parallel local runs on GPUs (gpu_placement.h): which GPU each run gets, and that the process
// pool really gives each child its own CUDA_VISIBLE_DEVICES, on a fake list of GPUs (no GPU
// needed: the children are a script that records what it was given).

#include "experiments/launch/gpu_placement.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "base/error.h"
#include "experiments/launch/launcher.h"
#include "experiments/suite/registry.h"
#include "tests/support/scratch_dir.h"

namespace dti::experiments {
namespace {

RunnerOptions parallel(int jobs, int runs_per_gpu, const std::string& gpus) {
  RunnerOptions o;
  o.device = "cuda";
  o.jobs = jobs;
  o.runs_per_gpu = runs_per_gpu;
  o.gpus = gpus;
  return o;
}

TEST(GpuPlacement, FourJobsTwoPerGpuOnTwoGpusAlternate) {
  const auto p = gpu_placement(parallel(4, 2, "0,1"));
  ASSERT_TRUE(p.active());
  EXPECT_EQ(p.gpus, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(p.concurrent(4), 4);
  EXPECT_EQ(p.first_wave(4), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(p.first_wave(6).size(), 4u) << "no GPU takes a third run";
  EXPECT_EQ(p.pick({2, 1}), 1);
  EXPECT_EQ(p.pick({2, 2}), -1);
}

TEST(GpuPlacement, JobsBeyondThePlacesWait) {
  EXPECT_EQ(gpu_placement(parallel(4, 1, "0,1")).concurrent(4), 2);
  EXPECT_EQ(gpu_placement(parallel(3, 2, "0,1")).concurrent(3), 3);
  EXPECT_EQ(gpu_placement(parallel(8, 3, "a,b,c")).first_wave(8),
            (std::vector<int>{0, 1, 2, 0, 1, 2, 0, 1}));
}

TEST(GpuPlacement, OnlyParallelRunsOnPlainCudaAreSpread) {
  EXPECT_FALSE(gpu_placement(parallel(1, 2, "0,1")).active()) << "one job";
  auto cpu = parallel(4, 2, "0,1");
  cpu.device = "cpu";
  EXPECT_FALSE(gpu_placement(cpu).active());
  auto pinned = parallel(4, 2, "0,1");
  pinned.device = "cuda:1";
  EXPECT_FALSE(gpu_placement(pinned).active()) << "cuda:<i> keeps every run on that GPU";
}

TEST(GpuPlacement, GpusComeFromCudaVisibleDevicesWhenNotGiven) {
  const char* saved = std::getenv("CUDA_VISIBLE_DEVICES");
  const std::string before = saved != nullptr ? saved : "";
  ::setenv("CUDA_VISIBLE_DEVICES", "3,GPU-5f1c", 1);
  const auto p = gpu_placement(parallel(2, 1, ""));
  if (saved != nullptr) {
    ::setenv("CUDA_VISIBLE_DEVICES", before.c_str(), 1);
  } else {
    ::unsetenv("CUDA_VISIBLE_DEVICES");
  }
  EXPECT_EQ(p.gpus, (std::vector<std::string>{"3", "GPU-5f1c"}));
}

TEST(GpuPlacement, AnEmptyEntryIsRefused) {
  EXPECT_THROW(parse_gpu_list("0,,1"), Error);
  EXPECT_THROW(parse_gpu_list("0,"), Error);
}

TEST(GpuPlacement, TheChildSeesOnlyItsGpu) {
  std::string a = "PATH=/bin", b = "CUDA_VISIBLE_DEVICES=0,1,2";
  char* parent[] = {a.data(), b.data(), nullptr};
  EXPECT_EQ(child_environment(parent, "2"),
            (std::vector<std::string>{"PATH=/bin", "CUDA_VISIBLE_DEVICES=2"}));
}

TEST(GpuPlacement, DryRunShowsTheFirstRunsGpus) {
  std::ostringstream out;
  const auto p = gpu_placement(parallel(4, 2, "0,1"));
  print_placement(p, 4, 6, {"t seed 0", "t seed 1", "m seed 0", "m seed 1", "c seed 0", "c seed 1"},
                  out);
  EXPECT_EQ(out.str(),
            "placement: 4 runs at once on 2 GPUs (0, 1), at most 2 per GPU\n"
            "  t seed 0 -> GPU 0\n  t seed 1 -> GPU 1\n  m seed 0 -> GPU 0\n  m seed 1 -> GPU 1\n"
            "  then each of the other 2 runs takes the GPU with the fewest runs when one ends\n");
}

// The real process pool with a stand-in for `runexp run-cell`: each child records its GPU and
// how many runs were already on that GPU when it started, stays a moment, and succeeds.
class GpuPoolTest : public test::ScratchDirTest {};

TEST_F(GpuPoolTest, SixRunsOnTwoFakeGpusTwoAtATimeEach) {
  const std::string fake = path("fake-runexp.sh");
  {
    std::ofstream s(fake);
    s << "#!/bin/sh\nd='" << dir_.string() << "'\ng=$CUDA_VISIBLE_DEVICES\n"
      << "n=$(ls \"$d\"/on.\"$g\".* 2>/dev/null | wc -l)\ntouch \"$d/on.$g.$$\"\n"
      << "echo \"$g $n\" >> \"$d/seen\"\nsleep 0.3\nrm \"$d/on.$g.$$\"\n";
  }
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  auto o = parallel(4, 2, "0,1");
  o.self_path = fake;
  o.out_dir = path("out");
  o.data_dir = path("data");  // empty: CLEVR6 is missing, so nothing is generated up front
  o.threads = 2;
  const auto& table1 = find_experiment("table1");
  std::vector<CellJob> jobs;
  for (int64_t seed = 0; seed < 6; ++seed) jobs.push_back({"table1", "clevr6", seed, o});
  std::ostringstream log;
  const auto results = make_local_launcher(o)->run(table1, jobs, log);
  ASSERT_EQ(results.size(), 6u) << log.str();
  for (const auto& r : results) EXPECT_EQ(r.status, RunStatus::kFinished) << r.detail;
  std::ifstream seen(path("seen"));
  std::map<std::string, int> runs;
  std::string gpu;
  int already = 0;
  while (seen >> gpu >> already) {
    ++runs[gpu];
    EXPECT_LT(already, 2) << "a third run started on GPU " << gpu;
  }
  // Which GPU a later run takes depends on which run ends first, so only the first wave (round
  // robin) and the totals are fixed; the cap above holds whatever the order.
  EXPECT_EQ(runs["0"] + runs["1"], 6) << log.str();
  EXPECT_EQ(runs.size(), 2u) << log.str();
  for (const char* first :
       {"seed 0 on GPU 0", "seed 1 on GPU 1", "seed 2 on GPU 0", "seed 3 on GPU 1"})
    EXPECT_NE(log.str().find(first), std::string::npos) << first << "\n" << log.str();
}

}  // namespace
}  // namespace dti::experiments
