#include "core/shapes.h"
#include "core/softclip.h"
#include "core/transform_modules.h"

namespace dti::core {

void check_transform_args(const char* module, const at::Tensor& x, const at::Tensor& beta,
                          int64_t P) {
  check_shape(module, "x", x, {{"N", -1}, {"C", -1}, {"h", -1}, {"w", -1}});
  check_shape(module, "beta", beta, {{"N", x.size(0)}, {"P", P}});
}

ColorTransform::ColorTransform(const TransformOptions& options)
    : color_channels_(options.color_channels) {
  DTI_CHECK(color_channels_ > 0, "color transformation: color_channels must be > 0, got ",
            color_channels_);
}

at::Tensor ColorTransform::apply(const at::Tensor& x, const at::Tensor& beta) const {
  check_transform_args("color transformation", x, beta, num_parameters());
  const int64_t Cc = color_channels_;
  DTI_CHECK(x.size(1) >= Cc, "color transformation: expected at least ", Cc,
            " channels (colour first, then mask/canvas), got ", x.size(1));
  auto params = beta.view({-1, Cc, 2});                              // [N,Cc,2]
  auto scale = 1 + params.select(2, 0).unsqueeze(-1).unsqueeze(-1);  // [N,Cc,1,1]
  auto bias = params.select(2, 1).unsqueeze(-1).unsqueeze(-1);       // [N,Cc,1,1]
  auto colour = softclip_add_mul(bias, scale, x.narrow(1, 0, Cc));   // [N,Cc,h,w]
  if (x.size(1) == Cc) return colour;
  return at::cat({colour, x.narrow(1, Cc, x.size(1) - Cc)}, 1);  // [N,Cin,h,w]
}

at::Tensor ColorTransform::apply_grouped(const at::Tensor& x, const at::Tensor& beta,
                                         int64_t groups) const {
  check_transform_args("color transformation", x, beta, num_parameters());
  const int64_t N = x.size(0), Cg = x.size(1) / groups, Cc = color_channels_;
  DTI_CHECK(x.size(1) == groups * Cg && Cg >= Cc, "color transformation: ", x.size(1),
            " channels do not split into ", groups, " groups of at least ", Cc);
  auto grouped = x.view({N, groups, Cg, x.size(2), x.size(3)});  // [N,G,Cg,h,w]
  auto params = beta.view({N, 1, Cc, 2});
  auto scale = 1 + params.select(3, 0).unsqueeze(-1).unsqueeze(-1);  // [N,1,Cc,1,1]
  auto bias = params.select(3, 1).unsqueeze(-1).unsqueeze(-1);
  auto colour = softclip_add_mul(bias, scale, grouped.narrow(2, 0, Cc));  // [N,G,Cc,h,w]
  if (Cg > Cc) colour = at::cat({colour, grouped.narrow(2, Cc, Cg - Cc)}, 2);
  return colour.reshape({N, groups * Cg, x.size(2), x.size(3)});
}

}  // namespace dti::core
