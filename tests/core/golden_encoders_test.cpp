// Golden facts of the encoders (encoders.h5): feature sizes, parameter and buffer counts,
// layer counts and the pre-pool map, exactly.
#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include "core/encoder.h"
#include "tests/core/golden_support.h"

namespace dti::test {
namespace {

int64_t numel(const std::vector<core::NamedTensor>& tensors) {
  int64_t n = 0;
  for (const auto& t : tensors) n += t.tensor.numel();
  return n;
}

TEST(GoldenEncoders, SizesAndCountsMatchReference) {
  GoldenFile file(golden_path("encoders.h5"));
  ASSERT_FALSE(file.cases().empty());
  for (const auto& c : file.cases()) {
    SCOPED_TRACE(c + " " + file.attr_string(c, "encoder_name") +
                 " with_pool=" + file.attr_string(c, "with_pool"));
    core::EncoderOptions options;
    options.kind =
        core::parse_name<core::EncoderKind>("encoder", file.attr_string(c, "encoder_name"));
    options.in_channels = file.attr_int(c, "in_channels");
    options.pool = {file.attr_int(c, "pool_h"), file.attr_int(c, "pool_w")};
    core::Encoder encoder(options, at::make_generator<at::CPUGeneratorImpl>(0));
    const int64_t H = file.attr_int(c, "img_h"), W = file.attr_int(c, "img_w");
    EXPECT_EQ(encoder.out_features(H, W), file.attr_int(c, "out_features"));
    EXPECT_EQ(numel(encoder.parameters()), file.attr_int(c, "n_params"));
    EXPECT_EQ(numel(encoder.buffers()), file.attr_int(c, "n_buffer_elements"));
    EXPECT_EQ(encoder.num_convolutions(), file.attr_int(c, "n_conv2d"));
    EXPECT_EQ(encoder.num_batchnorms(), file.attr_int(c, "n_batchnorm2d"));
    auto map = encoder.map_shape(H, W);
    EXPECT_EQ(map[0], file.attr_int(c, "prepool_channels"));
    EXPECT_EQ(map[1], file.attr_int(c, "prepool_h"));
    EXPECT_EQ(map[2], file.attr_int(c, "prepool_w"));
    // The real forward pass agrees with the analytical sizes.
    auto features = encoder.forward(at::rand({2, options.in_channels, H, W}), /*training=*/false);
    EXPECT_EQ(features.sizes(), (at::IntArrayRef{2, file.attr_int(c, "out_features")}));
  }
}

}  // namespace
}  // namespace dti::test
