#include "experiments/parity/trajectory.h"

#include <hdf5.h>

#include "base/error.h"
#include "base/strings.h"
#include "datasets/h5_util.h"

namespace dti::parity {
namespace {

namespace h5 = datasets::h5;

hid_t memory_type(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return H5T_NATIVE_FLOAT;
    case at::kDouble:
      return H5T_NATIVE_DOUBLE;
    case at::kLong:
      return H5T_NATIVE_INT64;
    case at::kByte:
      return H5T_NATIVE_UINT8;
    default:
      throw Error("trajectory reader: no HDF5 memory type for this tensor type");
  }
}

// Dataset `name` converted to `type` by HDF5 (float32 -> float64 etc.), in its stored shape.
at::Tensor read_tensor(hid_t file, const std::string& path, const std::string& name,
                       at::ScalarType type) {
  const std::string where = path + ": dataset '" + name + "'";
  DTI_CHECK(H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0, where,
            " is missing; re-record the trajectory with experiments/parity/record_trajectory.py");
  h5::Handle ds(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
  DTI_CHECK(ds.valid(), where, ": cannot open (", h5::last_error(), ")");
  auto out = at::empty(h5::dims(ds.get()), at::TensorOptions().dtype(type));
  if (out.numel() == 0) return out;
  DTI_CHECK(
      H5Dread(ds.get(), memory_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data_ptr()) >= 0,
      where, ": unreadable (", h5::last_error(), ")");
  return out;
}

std::vector<std::string> members(hid_t file, const std::string& path, const std::string& group) {
  h5::Handle g(H5Gopen2(file, group.c_str(), H5P_DEFAULT), H5Gclose);
  DTI_CHECK(g.valid(), path, ": group '", group, "' is missing (", h5::last_error(), ")");
  H5G_info_t info{};
  DTI_CHECK(H5Gget_info(g.get(), &info) >= 0, path, ": cannot list group '", group, "'");
  std::vector<std::string> out;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    const ssize_t n =
        H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    std::string name(static_cast<size_t>(std::max<ssize_t>(n, 0)) + 1, '\0');
    H5Lget_name_by_idx(g.get(), ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), name.size(),
                       H5P_DEFAULT);
    name.resize(static_cast<size_t>(std::max<ssize_t>(n, 0)));
    out.push_back(name);
  }
  return out;
}

void read_checks(hid_t file, Trajectory& t) {
  auto it = read_tensor(file, t.path, "checks/iteration", at::kLong);
  auto layer = read_tensor(file, t.path, "checks/layer", at::kLong);
  auto source = read_tensor(file, t.path, "checks/source", at::kLong);
  auto mask = read_tensor(file, t.path, "checks/reassigned", at::kLong);
  const int64_t n = it.numel();
  DTI_CHECK(layer.numel() == n && source.numel() == n && (n == 0 || mask.size(0) == n), t.path,
            ": checks/* hold different numbers of checks");
  for (int64_t c = 0; c < n; ++c) {
    RecordedCheck rc;
    rc.iteration = it[c].item<int64_t>();
    rc.layer = layer[c].item<int64_t>();
    rc.source = source[c].item<int64_t>();
    for (int64_t k = 0; k < mask.size(1); ++k) {
      if (mask[c][k].item<int64_t>() != 0) rc.reassigned.push_back(k);
    }
    t.checks.push_back(rc);
  }
}

// grads/<NNNNNN>/<name>: optional (recordings before --grad-steps have none).
void read_grads(hid_t file, Trajectory& t) {
  if (H5Lexists(file, "grads", H5P_DEFAULT) <= 0) return;
  for (const auto& step : members(file, t.path, "grads")) {
    const int64_t s = std::stoll(step);
    DTI_CHECK(s >= 1 && s <= t.steps, t.path, ": grads/", step, " is outside steps 1..", t.steps);
    auto& by_name = t.grads[s];
    for (const auto& name : members(file, t.path, "grads/" + step)) {
      DTI_CHECK(t.tensors.count(name) == 1, t.path, ": grads/", step, "/", name,
                " names no recorded tensor");
      by_name[name] = read_tensor(file, t.path, "grads/" + step + "/" + name, at::kFloat);
    }
  }
}

}  // namespace

Trajectory read_trajectory(const std::string& path) {
  h5::silence_errors();
  h5::Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  DTI_CHECK(file.valid(), "cannot open trajectory file ", path, " (", h5::last_error(),
            "); record one with experiments/parity/record_trajectory.py");
  const hid_t f = file.get();
  Trajectory t;
  t.path = path;
  t.our_config = h5::read_string(f, "our_config", path);
  const std::string overrides = h5::read_string(f, "overrides", path);
  if (!overrides.empty()) t.overrides = split(overrides, '\n');
  t.reference_config = h5::read_string(f, "reference_config", path);
  t.torch_version = h5::read_string(f, "torch_version", path);
  t.steps = h5::read_int(f, "steps", path);
  t.steps_per_epoch = h5::read_int(f, "steps_per_epoch", path);
  t.batch_size = h5::read_int(f, "batch_size", path);
  t.check_cluster_interval = h5::read_int(f, "check_cluster_interval", path);
  t.encoder_multiplicity = h5::read_int(f, "encoder_multiplicity", path);
  t.n_layers = h5::read_int(f, "n_layers", path);
  t.n_sprites = h5::read_int(f, "n_sprites", path);
  t.seed = h5::read_int(f, "seed", path);
  t.images = read_tensor(f, path, "batches/images", at::kByte);
  t.rng_state = read_tensor(f, path, "rng/torch_state", at::kByte);
  t.noise_probe = read_tensor(f, path, "rng/noise_probe", at::kFloat);
  t.loss = read_tensor(f, path, "steps/loss", at::kDouble);
  t.selection = read_tensor(f, path, "steps/selection", at::kLong);
  const int64_t S = t.steps;
  DTI_CHECK(t.images.dim() == 5 && t.images.size(0) == S && t.images.size(4) == 3 &&
                t.rng_state.size(0) == S && t.loss.numel() == S && t.selection.size(0) == S,
            path, ": expected ", S, " steps in batches/images [S,B,H,W,3], rng/torch_state, ",
            "steps/loss and steps/selection; re-record the trajectory");
  read_checks(f, t);
  for (const auto& name : members(f, path, "init")) {
    RecordedTensor r;
    const bool counter = name.find("num_batches_tracked") != std::string::npos;
    r.init = read_tensor(f, path, "init/" + name, counter ? at::kLong : at::kFloat);
    r.probe_index = read_tensor(f, path, "probe_index/" + name, at::kLong);
    r.sums = read_tensor(f, path, "steps/sum/" + name, at::kDouble);
    r.probes = read_tensor(f, path, "steps/probe/" + name, at::kFloat);
    DTI_CHECK(r.sums.size(0) == S && r.probes.size(0) == S, path, ": tensor ", name,
              " has records for ", r.sums.size(0), " steps; expected ", S);
    t.tensors.emplace(name, r);
  }
  read_grads(f, t);
  return t;
}

}  // namespace dti::parity
