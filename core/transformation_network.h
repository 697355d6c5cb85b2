#pragma once
// A transformation network (docs/model.md): modules in sequence (e.g. color_projective_tps) with a
// curriculum, applied to G instances (the K sprites of a layer, the L layers or the M
// backgrounds), each instance with its own predictor per module.

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "core/parameters.h"
#include "core/predictor.h"
#include "core/transform.h"

namespace dti::core {

/// Settings of a transformation network.
struct TransformationNetworkOptions {
  /// Sequence name, e.g. "color_position"; "identity" means no transformation.
  std::string sequence = "identity";
  /// n−1 epoch milestones: module i+1 switches on at milestone i (empty = all on from the start).
  std::vector<int64_t> curriculum;
  /// Number G of instances with their own predictors.
  int64_t count = 1;
  /// Feature size D read by the predictors.
  int64_t features = 64;
  /// Module construction settings (output size, padding, ...).
  TransformOptions transform;
  /// Throws dti::Error naming the field (`what`) when the curriculum does not fit the sequence.
  void validate(const std::string& what) const;
};

/// The modules of one sequence and their predictors.
class TransformationNetwork {
 public:
  /// Parses the sequence, validates the curriculum and creates one predictor bank per module.
  TransformationNetwork(const TransformationNetworkOptions& options, at::Generator generator);

  /// Whether every module is the identity (no predictors, no work).
  bool is_identity() const { return identity_; }
  /// Number of modules in the sequence.
  size_t size() const { return modules_.size(); }
  /// Kind of module i.
  TransformKind kind(size_t i) const { return modules_[i]->kind(); }
  /// Whether module i is switched on after `epoch` completed epochs (curriculum).
  bool active(size_t i, int64_t epoch) const;
  /// Whether any module with a predictor is switched on at `epoch`.
  bool any_active(int64_t epoch) const;

  /// β of every active module for all G instances: [G,B,P] each; undefined for modules that are
  /// inactive or have no parameters.
  std::vector<at::Tensor> predict(const at::Tensor& features, int64_t epoch) const;
  /// Applies the modules whose `betas[m]` is defined, in order: x [N,C,h,w], betas[m] [N,P].
  at::Tensor apply(const at::Tensor& x, const std::vector<at::Tensor>& betas) const;

  /// Same as apply() for G images stacked along channels, x [N,G·C,h,w], sharing betas[m] [N,P].
  at::Tensor apply_grouped(const at::Tensor& x, const std::vector<at::Tensor>& betas,
                           int64_t groups) const;
  /// Predictor tensors named `<prefix>.<module index>_<kind>.w1`, ...
  std::vector<NamedTensor> parameters(const std::string& prefix) const;
  /// For each tensor of parameters(), the axis that indexes the G instances.
  std::vector<int64_t> instance_dims() const;
  /// Copies instance `src`'s predictors into instance `dst` (empty-sprite reassignment).
  void copy_instance(int64_t dst, int64_t src);
  /// Moves predictors and module buffers to `device`.
  void to(const at::Device& device);
  /// The options it was built with.
  const TransformationNetworkOptions& options() const { return options_; }

 private:
  TransformationNetworkOptions options_;
  bool identity_ = true;
  std::vector<std::unique_ptr<TransformModule>> modules_;
  std::vector<std::unique_ptr<PredictorBank>> predictors_;  // null for parameter-free modules
};

}  // namespace dti::core
