#include "core/transformation_network.h"

#include "base/error.h"

namespace dti::core {

void TransformationNetworkOptions::validate(const std::string& what) const {
  const auto kinds = parse_transform_sequence(sequence);
  DTI_CHECK(count > 0, what, ": expected at least one instance, got ", count);
  if (curriculum.empty()) return;
  DTI_CHECK(curriculum.size() + 1 == kinds.size(), what, ": curriculum for '", sequence, "' needs ",
            kinds.size() - 1, " milestone(s) (one per module after the first), got ",
            curriculum.size());
  for (size_t i = 0; i < curriculum.size(); ++i) {
    DTI_CHECK(curriculum[i] >= 0, what, ": curriculum milestones must be >= 0, got ",
              curriculum[i]);
    DTI_CHECK(i == 0 || curriculum[i] >= curriculum[i - 1], what,
              ": curriculum milestones must not decrease, got ", curriculum[i - 1], " then ",
              curriculum[i]);
  }
}

TransformationNetwork::TransformationNetwork(const TransformationNetworkOptions& options,
                                             at::Generator generator)
    : options_(options) {
  options_.validate("transformation sequence '" + options.sequence + "'");
  for (TransformKind kind : parse_transform_sequence(options.sequence)) {
    modules_.push_back(make_transform(kind, options.transform));
    const int64_t P = modules_.back()->num_parameters();
    if (P > 0) {
      identity_ = false;
      predictors_.push_back(
          std::make_unique<PredictorBank>(options.count, options.features, P, generator));
    } else {
      predictors_.push_back(nullptr);
    }
  }
}

bool TransformationNetwork::active(size_t i, int64_t epoch) const {
  if (i == 0 || options_.curriculum.empty()) return true;
  return epoch >= options_.curriculum[i - 1];
}

bool TransformationNetwork::any_active(int64_t epoch) const {
  for (size_t i = 0; i < modules_.size(); ++i) {
    if (predictors_[i] && active(i, epoch)) return true;
  }
  return false;
}

std::vector<at::Tensor> TransformationNetwork::predict(const at::Tensor& features,
                                                       int64_t epoch) const {
  std::vector<at::Tensor> betas(modules_.size());
  for (size_t i = 0; i < modules_.size(); ++i) {
    if (predictors_[i] && active(i, epoch))
      betas[i] = predictors_[i]->forward(features);  // [G,B,P]
  }
  return betas;
}

at::Tensor TransformationNetwork::apply(const at::Tensor& x,
                                        const std::vector<at::Tensor>& betas) const {
  at::Tensor out = x;
  for (size_t i = 0; i < modules_.size() && i < betas.size(); ++i) {
    if (betas[i].defined()) out = modules_[i]->apply(out, betas[i]);
  }
  return out;
}

at::Tensor TransformationNetwork::apply_grouped(const at::Tensor& x,
                                                const std::vector<at::Tensor>& betas,
                                                int64_t groups) const {
  at::Tensor out = x;
  for (size_t i = 0; i < modules_.size() && i < betas.size(); ++i) {
    if (betas[i].defined()) out = modules_[i]->apply_grouped(out, betas[i], groups);
  }
  return out;
}

std::vector<NamedTensor> TransformationNetwork::parameters(const std::string& prefix) const {
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < modules_.size(); ++i) {
    if (!predictors_[i]) continue;
    const std::string name =
        prefix + "." + std::to_string(i) + "_" + to_string(modules_[i]->kind());
    for (auto& p : predictors_[i]->parameters(name)) out.push_back(p);
  }
  return out;
}

std::vector<int64_t> TransformationNetwork::instance_dims() const {
  std::vector<int64_t> dims;
  for (const auto& p : predictors_) {
    if (!p) continue;
    const size_t n = p->parameters("").size();
    for (size_t j = 0; j < n; ++j) dims.push_back(PredictorBank::instance_dim(j));
  }
  return dims;
}

void TransformationNetwork::copy_instance(int64_t dst, int64_t src) {
  for (auto& p : predictors_) {
    if (p) p->copy_instance(dst, src);
  }
}

void TransformationNetwork::to(const at::Device& device) {
  for (auto& m : modules_) m->to(device);
  for (auto& p : predictors_) {
    if (p) p->to(device);
  }
}

}  // namespace dti::core
