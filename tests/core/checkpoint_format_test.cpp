// Damaged checkpoint headers with a valid CRC (what tests/fuzz/checkpoint_fuzzer.cpp feeds the
// reader): shapes and lengths that do not match the bytes present are refused by name before
// anything is allocated, never handed to LibTorch.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/checkpoint.h"
#include "tests/support/expect_error.h"

namespace dti::test {
namespace {

uint32_t crc32(const std::string& data) {  // CRC-32 (IEEE), as the writer's
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char ch : data) {
    crc ^= ch;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return crc ^ 0xFFFFFFFFu;
}

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}

// A checkpoint holding one float tensor "w" of shape `dims` that claims `nbytes` bytes, of which
// `present` follow; the CRC is correct, so only the layout can be wrong.
std::string write_checkpoint(const std::vector<int64_t>& dims, uint64_t nbytes, size_t present) {
  std::string out("DTICKPT\0", 8);
  put<uint32_t>(out, 1);  // version
  put<uint32_t>(out, 0);  // metadata entries
  put<uint32_t>(out, 1);  // tensors
  put<uint32_t>(out, 1);
  out += "w";
  put<uint8_t>(out, 0);  // float32
  put<uint32_t>(out, static_cast<uint32_t>(dims.size()));
  for (int64_t d : dims) put<int64_t>(out, d);
  put<uint64_t>(out, nbytes);
  out.append(present, '\0');
  put<uint32_t>(out, crc32(out));
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dti_ckpt_format_" + std::to_string(::getpid()) + ".ckpt"))
                               .string();
  std::ofstream(path, std::ios::binary) << out;
  return path;
}

TEST(CheckpointFormatTest, ValidLayoutLoads) {
  const std::string path = write_checkpoint({2, 3}, 24, 24);
  EXPECT_EQ(core::load_checkpoint(path).tensor("w").sizes(), (std::vector<int64_t>{2, 3}));
  std::filesystem::remove(path);
}

TEST(CheckpointFormatTest, ShapeLargerThanItsBytesIsRefusedBeforeAllocating) {
  const std::string path = write_checkpoint({int64_t{1} << 40}, 0, 0);  // 4 TB of floats
  EXPECT_TRUE(error_contains([&] { core::load_checkpoint(path); },
                             "is corrupt: tensor w has shape [1099511627776] but 0 bytes"));
  std::filesystem::remove(path);
}

TEST(CheckpointFormatTest, EmptyShapeWithHugeDimensionsIsRefused) {
  // 0 bytes, as the zero dimension says, but LibTorch multiplies the others first and overflows.
  const std::string path = write_checkpoint({0, int64_t{1} << 56, int64_t{1} << 62}, 0, 0);
  EXPECT_TRUE(error_contains([&] { core::load_checkpoint(path); }, "is corrupt: tensor w"));
  std::filesystem::remove(path);
}

TEST(CheckpointFormatTest, NegativeDimensionIsRefused) {
  const std::string path = write_checkpoint({-1}, 0, 0);
  EXPECT_TRUE(error_contains([&] { core::load_checkpoint(path); }, "is corrupt: tensor w"));
  std::filesystem::remove(path);
}

TEST(CheckpointFormatTest, LengthThatWouldWrapAroundIsTruncation) {
  const std::string path = write_checkpoint({2}, UINT64_MAX - 3, 8);
  EXPECT_TRUE(error_contains([&] { core::load_checkpoint(path); }, "is truncated"));
  std::filesystem::remove(path);
}

TEST(CheckpointFormatTest, TooManyDimensionsIsRefused) {
  const std::string path = write_checkpoint(std::vector<int64_t>(40, 1), 4, 4);
  EXPECT_TRUE(error_contains([&] { core::load_checkpoint(path); }, "has 40 dimensions"));
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace dti::test
