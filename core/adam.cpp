#include "core/adam.h"

#include <c10/core/GradMode.h>
#include <cmath>
#include <map>

#include "base/error.h"

namespace dti::core {

Adam::Adam(std::vector<AdamParameter> parameters, std::vector<AdamGroup> groups,
           AdamOptions options)
    : parameters_(std::move(parameters)), groups_(std::move(groups)), options_(options) {
  for (size_t g = 0; g < groups_.size(); ++g) {
    DTI_CHECK(groups_[g].lr > 0, "optimizer: lr of group ", g, " must be > 0, got ", groups_[g].lr);
    DTI_CHECK(groups_[g].weight_decay >= 0, "optimizer: weight_decay of group ", g,
              " must be >= 0, got ", groups_[g].weight_decay);
  }
  for (const auto& p : parameters_) {
    DTI_CHECK(p.group < groups_.size(), "optimizer: tensor ", p.name, " names group ", p.group,
              " but there are ", groups_.size(), " groups");
    DTI_CHECK(p.repeats >= 1, "optimizer: repeats of ", p.name, " must be >= 1, got ", p.repeats);
  }
  states_.resize(parameters_.size());
}

void Adam::update(AdamParameter& p, AdamState& s, const at::Tensor& grad_in) {
  const AdamGroup& group = groups_[p.group];
  if (!s.exp_avg.defined()) {
    s.exp_avg = at::zeros_like(p.tensor);
    s.exp_avg_sq = at::zeros_like(p.tensor);
  }
  s.step += 1;
  at::Tensor grad = grad_in;
  if (group.weight_decay != 0) grad = grad.add(p.tensor, group.weight_decay);
  s.exp_avg.mul_(options_.beta1).add_(grad, 1 - options_.beta1);
  s.exp_avg_sq.mul_(options_.beta2).addcmul_(grad, grad, 1 - options_.beta2);
  const double step = static_cast<double>(s.step);
  const double bias1 = 1 - std::pow(options_.beta1, step);
  const double bias2_sqrt = std::sqrt(1 - std::pow(options_.beta2, step));
  auto denom = (s.exp_avg_sq.sqrt() / bias2_sqrt).add_(options_.eps);
  p.tensor.addcdiv_(s.exp_avg, denom, -group.lr / bias1);
}

void Adam::step() {
  c10::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    auto& p = parameters_[i];
    const at::Tensor& grad = p.tensor.grad();
    if (!grad.defined()) continue;
    // The reference lists a shared tensor several times: each listing is a full update with the
    // same gradient, reading the parameter as the previous one left it.
    for (int64_t r = 0; r < p.repeats; ++r) update(p, states_[i], grad);
  }
}

void Adam::zero_grad() {
  for (auto& p : parameters_) {
    if (p.tensor.grad().defined()) p.tensor.mutable_grad().detach_().zero_();
  }
}

void Adam::copy_state_slice(size_t i, int64_t dim, int64_t dst, int64_t src) {
  AdamState& s = states_.at(i);
  if (!s.exp_avg.defined() || dst == src) return;
  c10::NoGradGuard no_grad;
  s.exp_avg.select(dim, dst).copy_(s.exp_avg.select(dim, src));
  s.exp_avg_sq.select(dim, dst).copy_(s.exp_avg_sq.select(dim, src));
}

std::vector<NamedTensor> Adam::state_tensors() const {
  std::vector<NamedTensor> out;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const AdamState& s = states_[i];
    if (!s.exp_avg.defined()) continue;
    const std::string& name = parameters_[i].name;
    out.push_back({name + ".exp_avg", s.exp_avg});
    out.push_back({name + ".exp_avg_sq", s.exp_avg_sq});
    out.push_back({name + ".step", at::full({}, s.step, at::kLong)});
  }
  return out;
}

void Adam::load_state_tensors(const std::vector<NamedTensor>& tensors) {
  std::map<std::string, at::Tensor> by_name;
  for (const auto& t : tensors) by_name[t.name] = t.tensor;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    const auto& p = parameters_[i];
    auto m = by_name.find(p.name + ".exp_avg");
    auto v = by_name.find(p.name + ".exp_avg_sq");
    auto s = by_name.find(p.name + ".step");
    if (m == by_name.end() || v == by_name.end() || s == by_name.end()) {
      states_[i] = AdamState{};
      continue;
    }
    DTI_CHECK(m->second.sizes() == p.tensor.sizes() && v->second.sizes() == p.tensor.sizes(),
              "optimizer state of ", p.name, " has shape ", m->second.sizes(), ", expected ",
              p.tensor.sizes());
    states_[i].exp_avg = m->second.to(p.tensor.device(), p.tensor.scalar_type()).clone();
    states_[i].exp_avg_sq = v->second.to(p.tensor.device(), p.tensor.scalar_type()).clone();
    states_[i].step = s->second.item<int64_t>();
  }
}

}  // namespace dti::core
