// dti_step_hash: a few whole training steps (forward, backward, Adam) of each benchmarked setting
// from a fixed seed, then one FNV-1a hash over the losses' and every parameter's bits. Two builds
// that print the same hashes compute the same training, bit for bit: how a speed change shows it
// changed no arithmetic (reports/results/cpu-performance.md).
//   dti_step_hash [STEPS=3] [THREADS=2]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "step_fixture.h"

namespace {

struct Fnv {
  unsigned long long h = 1469598103934665603ULL;
  void add(const void* data, size_t n) {
    const auto* b = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 1099511628211ULL;
  }
};

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 3;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  if (steps < 1 || threads < 1) {
    std::fprintf(stderr, "usage: dti_step_hash [STEPS>=1] [THREADS>=1]\n");
    return 2;
  }
  at::set_num_threads(threads);
  for (int64_t i : {0, 1, 2, 3}) {
    at::manual_seed(1);
    const auto& s = dti::bench::setting(i);
    dti::bench::StepFixture f(s, /*active=*/true, s.batch, at::Device("cpu"));
    Fnv hash;
    for (int k = 0; k < steps; ++k) {
      const float loss = f.step().item<float>();
      hash.add(&loss, sizeof loss);
    }
    for (const auto& p : f.model.parameters()) {
      auto t = p.tensor.contiguous();
      hash.add(t.data_ptr(), t.nbytes());
    }
    std::printf("%-15s %016llx  (%d steps, %d threads, batch %ld)\n", s.name.c_str(), hash.h, steps,
                threads, static_cast<long>(s.batch));
  }
  return 0;
}
