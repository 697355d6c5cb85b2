#include "core/init.h"

#include "base/error.h"

namespace dti::core {

template <>
const std::vector<std::string>& names_of<ProtoInit>() {
  static const std::vector<std::string> names = {"constant", "gaussian", "sample", "random_color"};
  return names;
}

template <>
const std::vector<std::string>& names_of<MaskInit>() {
  static const std::vector<std::string> names = {"constant", "gaussian", "random"};
  return names;
}

template <>
const std::vector<std::string>& names_of<BackgroundInit>() {
  static const std::vector<std::string> names = {"constant", "mean"};
  return names;
}

at::Tensor gaussian_window(int64_t size, double std) {
  DTI_CHECK(size > 0 && std > 0, "gaussian_window: expected size > 0 and std > 0, got size=", size,
            " std=", std);
  auto n = at::arange(size, at::kDouble) - (static_cast<double>(size) - 1.0) / 2.0;
  return at::exp(-0.5 * (n / std).pow(2));
}

at::Tensor gaussian_weights(int64_t height, int64_t width, int64_t channels, double std) {
  auto g = at::outer(gaussian_window(height, std), gaussian_window(width, std));  // [H,W]
  return g.to(at::kFloat).unsqueeze(0).expand({channels, height, width}).contiguous();
}

}  // namespace dti::core
