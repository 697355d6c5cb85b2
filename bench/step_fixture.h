#pragma once
// What dti_bench and dti_profile_step share: the benchmarked settings (paper Table 6, read from the
// shipped configs) and a training step's fixture (model, optimiser, a random batch).
#include <ATen/ATen.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "core/adam.h"
#include "core/model.h"
#include "core/precision.h"
#include "experiments/config/paper_model_options.h"

namespace dti::bench {

// One benchmarked dataset, its settings read from the shipped config (paper Table 6).
struct Setting {
  std::string name;               // dataset of paper Table 6
  dti::core::ModelOptions model;  // the config's model section
  int64_t batch = 0;              // the config's batch size
  int64_t active_epoch = 0;       // an epoch where every module is on and sprites train
};

// Benchmark argument i is dataset kDatasets[i]; the order is part of the benchmarks' names.
inline const char* const kDatasets[] = {"tetrominoes", "multi_dsprites", "gtsrb8",
                                        "clevr6",      "svhn",           "weizmann_horse"};

inline const Setting& setting(int64_t index) {
  static std::map<int64_t, Setting> loaded;
  auto it = loaded.find(index);
  if (it == loaded.end()) {
    Setting s;
    s.name = kDatasets[index];
    s.model = dti::experiments::paper_model_options(s.name);
    s.batch = dti::experiments::paper_batch_size(s.name);
    s.active_epoch = dti::experiments::first_active_epoch(s.model);
    it = loaded.emplace(index, std::move(s)).first;
  }
  return it->second;
}

inline at::Device bench_device() {
  const char* env = std::getenv("DTI_BENCH_DEVICE");
  return at::Device(env != nullptr && *env != '\0' ? env : "cpu");
}

// training.precision of the step benchmark (fp32 unless DTI_BENCH_PRECISION says tf32 / bf16).
inline dti::core::Precision bench_precision() {
  const char* env = std::getenv("DTI_BENCH_PRECISION");
  return dti::core::parse_precision(env != nullptr && *env != '\0' ? env : "fp32");
}

// training.encoder_norm of the step benchmarks: separate unless DTI_BENCH_NORM=fused.
inline bool bench_fused_norm() {
  const char* env = std::getenv("DTI_BENCH_NORM");
  return env != nullptr && std::string(env) == "fused";
}

// A model, its optimiser (the paper's two groups and learning rates) and a random batch.
struct StepFixture {
  StepFixture(const Setting& s, bool active, int64_t batch, at::Device dev)
      : model(with_norm(s.model), 0), device(dev) {
    model.to(dev);
    model.set_epoch(active ? s.active_epoch : 0);
    std::vector<dti::core::AdamParameter> params;
    for (const auto& p : model.parameters()) {
      params.push_back({p.name, p.tensor, p.group == dti::core::ParameterGroup::kSprites ? 0u : 1u,
                        p.encoder ? model.encoder_multiplicity() : 1});
    }
    const double lr = model.num_layers() == 1 ? 1e-3 : 1e-4;
    adam = std::make_unique<dti::core::Adam>(
        params, std::vector<dti::core::AdamGroup>{{lr, 0.0}, {lr, 1e-6}});
    auto o = model.options();
    x = at::rand({batch, o.channels, o.image_size[0], o.image_size[1]}, dev);
    dti::core::apply_matmul_precision(precision);
  }
  static dti::core::ModelOptions with_norm(dti::core::ModelOptions o) {
    o.fused_norm = bench_fused_norm();
    return o;
  }
  /// One whole step: zero the gradients, forward, backward, Adam; the loss.
  at::Tensor step() {
    adam->zero_grad();
    auto out = forward();
    out.loss.backward();
    adam->step();
    return out.loss;
  }
  dti::core::TrainOutput forward() {
    dti::core::AutocastScope autocast(precision, device);
    return model.forward_train(x);
  }
  dti::core::DtiSprites model;
  at::Device device;
  std::unique_ptr<dti::core::Adam> adam;
  at::Tensor x;
  dti::core::Precision precision = bench_precision();
};

}  // namespace dti::bench
