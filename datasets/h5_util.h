#pragma once
// Internal HDF5 helpers for dataset_reader.cpp, dataset_writer.cpp and inspect.cpp (not part of the
// public API): handles that close themselves, attribute I/O, and error text taken from HDF5's error
// stack.

#include <hdf5.h>

#include <cstdint>
#include <string>
#include <vector>

namespace dti::datasets::h5 {

/// An HDF5 identifier closed by the matching H5?close function when it leaves scope.
class Handle {
 public:
  /// Empty handle.
  Handle() = default;
  /// Takes ownership of `id` (may be negative = invalid), closed with `close`.
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  /// Closes the identifier.
  ~Handle() { reset(); }
  /// Takes over `other`'s identifier.
  Handle(Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  /// Closes the current identifier and takes over `other`'s.
  Handle& operator=(Handle&& other) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  /// The identifier.
  hid_t get() const { return id_; }
  /// Whether the identifier is valid (>= 0).
  bool valid() const { return id_ >= 0; }
  /// Closes now; returns false when closing failed.
  bool reset();

 private:
  hid_t id_ = -1;
  herr_t (*close_)(hid_t) = nullptr;
};

/// Turns off HDF5's automatic error printing for the calling thread (errors become exceptions).
void silence_errors();
/// Innermost description on the calling thread's HDF5 error stack ("" when empty).
std::string last_error();

/// Creates (truncates) `path` in HDF5's 1.10 file format, whose superblock, object headers,
/// attributes and chunk indexes all carry checksums that libhdf5 verifies before decoding them
/// (so a damaged header is refused instead of parsed), without timestamps. Invalid handle on
/// failure.
/// On failure `error` (when given) receives HDF5's reason, which a later HDF5 call would clear.
Handle create_checksummed_file(const std::string& path, std::string* error = nullptr);
/// Superblock version of an open file: 0 or 1 for the old format (no metadata checksums), 2 or 3
/// for files written with 1.8/1.10 format bounds. -1 when it cannot be read.
int superblock_version(hid_t file);

/// Human-readable element type, e.g. "uint8", "int64", "float32", "string".
std::string type_name(hid_t type);
/// Dimensions of a dataset.
std::vector<int64_t> dims(hid_t dataset);

/// Whether the root (or object) `object` has attribute `name`.
bool has_attribute(hid_t object, const std::string& name);
/// Writes a scalar string attribute.
void write_string(hid_t object, const std::string& name, const std::string& value);
/// Writes a scalar int64 attribute.
void write_int(hid_t object, const std::string& name, int64_t value);
/// Writes a 1-D string-array attribute.
void write_strings(hid_t object, const std::string& name, const std::vector<std::string>& values);
/// Reads a string attribute (fixed- or variable-length); `where` prefixes error messages.
std::string read_string(hid_t object, const std::string& name, const std::string& where);
/// Reads an integer attribute as int64.
int64_t read_int(hid_t object, const std::string& name, const std::string& where);
/// Reads a 1-D string-array attribute (fixed- or variable-length).
std::vector<std::string> read_strings(hid_t object, const std::string& name,
                                      const std::string& where);

}  // namespace dti::datasets::h5
