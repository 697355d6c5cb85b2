#include "core/adam.h"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numeric>

#include "base/error.h"
#include "core/device_copy.h"

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
  const AdamStepSettings settings{group.lr,       group.weight_decay, options_.beta1,
                                  options_.beta2, options_.eps,       s.step};
  if (options_.fused_cpu_kernel && update_fused(p, s, grad_in, settings)) return;
  adam_operators_update(p.tensor, grad_in, s.exp_avg, s.exp_avg_sq, settings);
}

bool Adam::update_fused(AdamParameter& p, AdamState& s, const at::Tensor& grad,
                        const AdamStepSettings& settings) {
  const auto& t = p.tensor;
  const std::array<const at::Tensor*, 4> all{&t, &grad, &s.exp_avg, &s.exp_avg_sq};
  for (const at::Tensor* x : all) {
    if (!x->is_cpu() || x->scalar_type() != at::kFloat || !x->is_contiguous()) return false;
  }
  if (grad.sizes() != t.sizes()) return false;
  return fused_adam_update(t.data_ptr<float>(), grad.data_ptr<float>(), s.exp_avg.data_ptr<float>(),
                           s.exp_avg_sq.data_ptr<float>(), t.numel(), adam_scalars(settings));
}

void Adam::build_alias_rounds(AdamState& s, const at::Device& device) {
  const int64_t n = static_cast<int64_t>(s.moment_of.size());
  std::vector<int64_t> rank(n);
  std::map<int64_t, int64_t> users;
  int64_t rounds = 0;
  for (int64_t k = 0; k < n; ++k) {
    rank[k] = users[s.moment_of[k]]++;
    rounds = std::max(rounds, rank[k] + 1);
  }
  const auto long_options = at::TensorOptions().dtype(at::kLong);
  s.rounds.clear();
  for (int64_t r = 0; r < rounds; ++r) {
    std::vector<int64_t> slices, objects;
    for (int64_t k = 0; k < n; ++k) {
      if (rank[k] != r) continue;
      slices.push_back(k);
      objects.push_back(s.moment_of[k]);
    }
    // at::tensor copies the vectors, so the staged copy outlives them (device_copy.h).
    s.rounds.emplace_back(host_to_device(at::tensor(slices, long_options), device),
                          host_to_device(at::tensor(objects, long_options), device));
  }
  s.rounds_of = s.moment_of;
}

void Adam::update_aliased(AdamParameter& p, AdamState& s, const at::Tensor& grad_in) {
  // torch's Adam walks its parameter list in order; parameters sharing one moment object update
  // it one after the other, each reading what the previous left. Slices are processed in rounds:
  // round r holds the r-th user of every moment object, so no object appears twice in a round.
  const AdamGroup& group = groups_[p.group];
  s.step += 1;
  at::Tensor grad = grad_in;
  if (group.weight_decay != 0) grad = grad.add(p.tensor, group.weight_decay);
  const double step = static_cast<double>(s.step);
  const double bias1 = 1 - std::pow(options_.beta1, step);
  const double bias2_sqrt = std::sqrt(1 - std::pow(options_.beta2, step));
  const int64_t d = s.alias_dim;
  if (s.rounds_of != s.moment_of || s.rounds.empty() ||
      s.rounds.front().first.device() != p.tensor.device()) {
    build_alias_rounds(s, p.tensor.device());
  }
  for (const auto& [slice_index, object_index] : s.rounds) {
    const auto g = grad.index_select(d, slice_index);
    auto m =
        s.exp_avg.index_select(d, object_index).mul_(options_.beta1).add_(g, 1 - options_.beta1);
    auto v = s.exp_avg_sq.index_select(d, object_index)
                 .mul_(options_.beta2)
                 .addcmul_(g, g, 1 - options_.beta2);
    s.exp_avg.index_copy_(d, object_index, m);
    s.exp_avg_sq.index_copy_(d, object_index, v);
    auto denom = (v.sqrt() / bias2_sqrt).add_(options_.eps);
    p.tensor.index_add_(d, slice_index, m.div(denom).mul_(-group.lr / bias1));
  }
}

void Adam::step() {
  c10::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    auto& p = parameters_[i];
    const at::Tensor& grad = p.tensor.grad();
    if (!grad.defined()) continue;
    // The reference lists a shared tensor several times: each listing is a full update with the
    // same gradient, reading the parameter as the previous one left it.
    for (int64_t r = 0; r < p.repeats; ++r) {
      if (states_[i].moment_of.empty()) {
        update(p, states_[i], grad);
      } else {
        update_aliased(p, states_[i], grad);
      }
    }
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
  // With aliased slices, the copy lands in the moment object `dst` uses (as torch's in-place
  // `exp_avg[dst] = exp_avg[src]` would reach every tensor sharing it).
  if (!s.moment_of.empty() && s.alias_dim == dim) {
    dst = s.moment_of.at(dst);
    src = s.moment_of.at(src);
    if (dst == src) return;
  }
  s.exp_avg.select(dim, dst).copy_(s.exp_avg.select(dim, src));
  s.exp_avg_sq.select(dim, dst).copy_(s.exp_avg_sq.select(dim, src));
}

void Adam::alias_state_slice(size_t i, int64_t dim, int64_t dst, int64_t src) {
  AdamState& s = states_.at(i);
  if (!s.exp_avg.defined() || dst == src) return;
  const int64_t n = s.exp_avg.size(dim);
  DTI_CHECK(dst >= 0 && dst < n && src >= 0 && src < n, "optimizer: alias_state_slice of ",
            parameters_.at(i).name, " expected slices in [0, ", n, "), got ", dst, " and ", src);
  DTI_CHECK(s.moment_of.empty() || s.alias_dim == dim, "optimizer: ", parameters_.at(i).name,
            " is aliased along axis ", s.alias_dim, "; cannot alias along axis ", dim);
  if (s.moment_of.empty()) {
    s.moment_of.resize(static_cast<size_t>(n));
    std::iota(s.moment_of.begin(), s.moment_of.end(), int64_t{0});
    s.alias_dim = dim;
  }
  // Rebinding, not copying: tensors that shared dst's old moments keep sharing them.
  s.moment_of[dst] = s.moment_of[src];
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
    if (!s.moment_of.empty()) {
      std::vector<int64_t> map{s.alias_dim};
      map.insert(map.end(), s.moment_of.begin(), s.moment_of.end());
      out.push_back({name + ".moment_of", at::tensor(map, at::TensorOptions().dtype(at::kLong))});
    }
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
    states_[i].moment_of.clear();
    states_[i].alias_dim = -1;
    auto alias = by_name.find(p.name + ".moment_of");
    if (alias != by_name.end()) {
      const auto map = alias->second.to(at::kCPU, at::kLong).contiguous();
      const int64_t* values = map.data_ptr<int64_t>();
      const int64_t dim = values[0];
      DTI_CHECK(map.numel() >= 2 && dim >= 0 && dim < p.tensor.dim() &&
                    map.numel() - 1 == p.tensor.size(dim),
                "optimizer state ", p.name, ".moment_of has ", map.numel(),
                " entries; expected 1 + the size of the aliased axis; the checkpoint is damaged");
      states_[i].alias_dim = dim;
      states_[i].moment_of.assign(values + 1, values + map.numel());
    }
  }
}

}  // namespace dti::core
