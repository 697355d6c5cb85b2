// dti_step_hash: a few whole training steps (forward, backward, Adam) of each benchmarked setting
// from a fixed seed, then one SHA-256 over the losses', every step's gradients' and the final
// parameters' bits (the gradients since 2026-12-08; earlier hashes covered the rest). Two builds
// that print the same hashes compute the same training, bit for bit: how a speed change shows it
// changed no arithmetic (reports/results/cpu-performance.md).
//   dti_step_hash [STEPS=3] [THREADS=2]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstdio>
#include <cstdlib>

#include "base/sha256.h"
#include "step_fixture.h"

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
    dti::Sha256 hash;
    for (int k = 0; k < steps; ++k) {
      const float loss = f.step().item<float>();
      hash.update(&loss, sizeof loss);
      // The gradients too: Adam's update, normalised by the gradient's own scale, can round a
      // difference in a gradient's last bits away from the parameters.
      for (const auto& p : f.model.parameters()) {
        if (!p.tensor.grad().defined()) continue;
        auto g = p.tensor.grad().contiguous();
        hash.update(g.data_ptr(), g.nbytes());
      }
    }
    for (const auto& p : f.model.parameters()) {
      auto t = p.tensor.contiguous();
      hash.update(t.data_ptr(), t.nbytes());
    }
    std::printf("%-15s %s  (%d steps, %d threads, batch %ld)\n", s.name.c_str(),
                hash.hex_digest().c_str(), steps, threads, static_cast<long>(s.batch));
  }
  return 0;
}
