#pragma once
// tf.train.Example records (parsed with libprotobuf from datasets/proto/tf_example.proto).
// DeepMind's multi_object_datasets store each uint8 tensor as a BytesList with one 1-byte string
// per element; ExampleView::bytes() concatenates the strings, so a single string holding the whole
// tensor is read the same way.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dti::datasets {

/// Read-only view of one serialized Example.
class ExampleView {
 public:
  /// Parses `serialized`; throws dti::Error starting with `where` when it is not an Example.
  ExampleView(const std::string& serialized, std::string where);
  /// Releases the parsed message.
  ~ExampleView();
  /// Moves the parsed message.
  ExampleView(ExampleView&&) noexcept;
  /// Moves the parsed message.
  ExampleView& operator=(ExampleView&&) noexcept;

  /// Whether the example has a feature `name`.
  bool has(const std::string& name) const;
  /// Names of all features, sorted.
  std::vector<std::string> names() const;
  /// Bytes of BytesList feature `name`, concatenated; throws unless there are `expected_size`.
  std::vector<uint8_t> bytes(const std::string& name, size_t expected_size) const;
  /// Values of FloatList feature `name`; throws unless there are `expected_count`.
  std::vector<float> floats(const std::string& name, size_t expected_count) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Builds a serialized Example (tests and fixtures write DeepMind-layout records with it).
class ExampleBuilder {
 public:
  /// Starts an example without features.
  ExampleBuilder();
  /// Releases the message.
  ~ExampleBuilder();
  /// Adds a BytesList with one 1-byte string per element of `data` (DeepMind's layout).
  void add_bytes_per_element(const std::string& name, const std::vector<uint8_t>& data);
  /// Adds a BytesList holding the given strings.
  void add_bytes(const std::string& name, const std::vector<std::string>& values);
  /// Adds a FloatList.
  void add_floats(const std::string& name, const std::vector<float>& values);
  /// Adds an Int64List.
  void add_int64s(const std::string& name, const std::vector<int64_t>& values);
  /// Serialized bytes of the example.
  std::string serialize() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace dti::datasets
