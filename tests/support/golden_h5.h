#pragma once
// Reader for the golden-vector HDF5 files (tests/golden/, schema in tests/golden/README.md).
// LibTorch-free so that every test suite (core, metrics, ...) can use it.

#include <cstdint>
#include <string>
#include <vector>

namespace dti::test {

/// Directory holding the golden files: $DTI_GOLDEN_DIR when set, else tests/golden/.
std::string golden_dir();

/// Directory of small test fixtures checked into tests/fixtures/.
std::string fixtures_dir();

/// Full path of a golden file; throws naming the directory and DTI_GOLDEN_DIR when it is missing.
std::string golden_path(const std::string& file_name);

/// An n-dimensional array read from a dataset, converted to the requested element type.
template <typename T>
struct Array {
  std::vector<int64_t> shape;  ///< Dataset shape; empty for an HDF5 scalar.
  std::vector<T> values;       ///< C-order values.
  /// Number of elements.
  int64_t numel() const { return static_cast<int64_t>(values.size()); }
};

/// Read-only view of one golden file. Cases are the groups /case_000, /case_001, ...
class GoldenFile {
 public:
  /// Opens `path`; throws with the path when it cannot be opened as HDF5.
  explicit GoldenFile(const std::string& path);
  ~GoldenFile();
  GoldenFile(const GoldenFile&) = delete;
  GoldenFile& operator=(const GoldenFile&) = delete;

  /// Sorted names of the case groups ("case_000", ...).
  std::vector<std::string> cases() const;
  /// Whether `group` (a case name, or "" for the root) holds dataset `name`.
  bool has_dataset(const std::string& group, const std::string& name) const;
  /// Whether `group` (or the root when "") has attribute `name`.
  bool has_attribute(const std::string& group, const std::string& name) const;

  /// Dataset read as float32 / float64 / int64 (HDF5 converts the stored type).
  Array<float> read_float(const std::string& group, const std::string& name) const;
  Array<double> read_double(const std::string& group, const std::string& name) const;
  Array<int64_t> read_int64(const std::string& group, const std::string& name) const;

  /// Attribute readers; throw naming the attribute when it is absent or of another class.
  std::string attr_string(const std::string& group, const std::string& name) const;
  int64_t attr_int(const std::string& group, const std::string& name) const;
  double attr_double(const std::string& group, const std::string& name) const;

 private:
  std::string path_;
  int64_t file_ = -1;  // hid_t
};

}  // namespace dti::test
