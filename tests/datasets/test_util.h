#pragma once
// Shared helpers of the datasets tests: a scratch folder per test, fixture paths, file surgery.

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "datasets/convert.h"
#include "datasets/progress.h"
#include "tests/support/golden_h5.h"
#include "tests/support/scratch_dir.h"

namespace dti::datasets::test {

/// tests/fixtures/datasets/<relative>.
inline std::string fixture(const std::string& relative) {
  return dti::test::fixtures_dir() + "/datasets/" + relative;
}

/// Whole file as bytes.
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Writes bytes to a file.
inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Flips one byte in the middle of the stored (compressed) chunk of image `index`.
inline void corrupt_image_chunk(const std::string& path, int64_t index) {
  haddr_t offset = 0;
  hsize_t size = 0;
  {
    hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(file, "images", H5P_DEFAULT);
    const hsize_t coords[4] = {static_cast<hsize_t>(index), 0, 0, 0};
    unsigned filter_mask = 0;
    H5Dget_chunk_info_by_coord(ds, coords, &filter_mask, &offset, &size);
    H5Dclose(ds);
    H5Fclose(file);
  }
  ASSERT_GT(size, 0u);
  std::string bytes = read_bytes(path);
  bytes[offset + size / 2] = static_cast<char>(bytes[offset + size / 2] ^ 0x5A);
  write_bytes(path, bytes);
}

/// Base fixture: a fresh scratch folder per test (tests/support/scratch_dir.h) and no pending
/// interrupt.
class ScratchTest : public dti::test::ScratchDirTest {
 protected:
  void SetUp() override {
    clear_interrupt();
    dti::test::ScratchDirTest::SetUp();
  }

  /// Names of the files left in the scratch folder.
  std::vector<std::string> files() const {
    std::vector<std::string> out;
    for (const auto& e : std::filesystem::directory_iterator(dir_)) {
      out.push_back(e.path().filename().string());
    }
    return out;
  }
};

/// A converter test: options for `inputs` written to `out` in the scratch folder, quietly.
class ConvertTest : public ScratchTest {
 protected:
  ConvertOptions options(std::vector<std::string> inputs, const std::string& out) const {
    ConvertOptions o;
    o.inputs = std::move(inputs);
    o.output = path(out);
    o.show_progress = false;
    return o;
  }
};

}  // namespace dti::datasets::test
