#include "datasets/tf_example.h"

#include <algorithm>

#include "base/error.h"
#include "base/strings.h"
#include "proto/tf_example.pb.h"

namespace dti::datasets {
namespace {

namespace pb = dti::datasets::tfproto;

// Reads a base-128 varint at `p`; returns false when it runs past `end` or exceeds 64 bits.
bool read_varint(const uint8_t*& p, const uint8_t* end, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && p < end; shift += 7) {
    const uint8_t byte = *p++;
    value |= uint64_t{byte & 0x7Fu} << shift;
    if (byte < 0x80) return true;
  }
  return false;
}

// Decodes a serialized BytesList (field 1, length-delimited, repeated) by appending every string
// to `out`. This loop replaces libprotobuf for the one message whose generic decoding is too slow.
bool decode_bytes_list(const std::string& raw, std::vector<uint8_t>& out) {
  const auto* p = reinterpret_cast<const uint8_t*>(raw.data());
  const uint8_t* end = p + raw.size();
  while (p < end) {
    uint64_t key = 0;
    if (!read_varint(p, end, key)) return false;
    const unsigned wire_type = key & 7;
    uint64_t length = 0;
    switch (wire_type) {
      case 0:
        if (!read_varint(p, end, length)) return false;
        continue;
      case 1:
        if (end - p < 8) return false;
        p += 8;
        continue;
      case 5:
        if (end - p < 4) return false;
        p += 4;
        continue;
      case 2:
        if (!read_varint(p, end, length) || length > static_cast<uint64_t>(end - p)) return false;
        if ((key >> 3) == 1) out.insert(out.end(), p, p + length);
        p += length;
        continue;
      default:
        return false;
    }
  }
  return true;
}

}  // namespace

struct ExampleView::Impl {
  pb::LazyExample example;
  std::string where;

  const pb::LazyFeature& feature(const std::string& name, pb::LazyFeature::KindCase kind,
                                 const char* kind_name) const {
    const auto& map = example.features().feature();
    auto it = map.find(name);
    if (it == map.end()) {
      std::vector<std::string> names;
      for (const auto& kv : map) names.push_back(kv.first);
      std::sort(names.begin(), names.end());
      throw Error(detail::concat(where, ": no feature '", name, "' (the record has: ", join(names),
                                 "); is this the right kind of TFRecord file?"));
    }
    DTI_CHECK(it->second.kind_case() == kind, where, ": feature '", name, "' is not a ", kind_name,
              "; is this the right kind of TFRecord file?");
    return it->second;
  }
};

ExampleView::ExampleView(const std::string& serialized, std::string where)
    : impl_(std::make_unique<Impl>()) {
  impl_->where = std::move(where);
  DTI_CHECK(impl_->example.ParseFromString(serialized), impl_->where,
            ": not a tf.train.Example message (protobuf parse failed)");
}

ExampleView::~ExampleView() = default;
ExampleView::ExampleView(ExampleView&&) noexcept = default;
ExampleView& ExampleView::operator=(ExampleView&&) noexcept = default;

bool ExampleView::has(const std::string& name) const {
  return impl_->example.features().feature().count(name) > 0;
}

std::vector<std::string> ExampleView::names() const {
  std::vector<std::string> out;
  for (const auto& kv : impl_->example.features().feature()) out.push_back(kv.first);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> ExampleView::bytes(const std::string& name, size_t expected_size) const {
  const auto& f = impl_->feature(name, pb::LazyFeature::kBytesList, "BytesList");
  std::vector<uint8_t> out;
  out.reserve(expected_size);
  DTI_CHECK(decode_bytes_list(f.bytes_list(), out), impl_->where, ": feature '", name,
            "' is a malformed BytesList");
  DTI_CHECK(out.size() == expected_size, impl_->where, ": feature '", name, "' has ", out.size(),
            " bytes, expected ", expected_size, "; is this the right kind of TFRecord file?");
  return out;
}

std::vector<float> ExampleView::floats(const std::string& name, size_t expected_count) const {
  const auto& f = impl_->feature(name, pb::LazyFeature::kFloatList, "FloatList");
  const auto& values = f.float_list().value();
  DTI_CHECK(static_cast<size_t>(values.size()) == expected_count, impl_->where, ": feature '", name,
            "' has ", values.size(), " floats, expected ", expected_count,
            "; is this the right kind of TFRecord file?");
  return std::vector<float>(values.begin(), values.end());
}

struct ExampleBuilder::Impl {
  pb::Example example;
  pb::Feature& add(const std::string& name) {
    return (*example.mutable_features()->mutable_feature())[name];
  }
};

ExampleBuilder::ExampleBuilder() : impl_(std::make_unique<Impl>()) {}
ExampleBuilder::~ExampleBuilder() = default;

void ExampleBuilder::add_bytes_per_element(const std::string& name,
                                           const std::vector<uint8_t>& data) {
  auto* list = impl_->add(name).mutable_bytes_list();
  list->mutable_value()->Reserve(static_cast<int>(data.size()));
  for (uint8_t v : data) list->add_value(std::string(1, static_cast<char>(v)));
}

void ExampleBuilder::add_bytes(const std::string& name, const std::vector<std::string>& values) {
  auto* list = impl_->add(name).mutable_bytes_list();
  for (const auto& v : values) list->add_value(v);
}

void ExampleBuilder::add_floats(const std::string& name, const std::vector<float>& values) {
  auto* list = impl_->add(name).mutable_float_list();
  for (float v : values) list->add_value(v);
}

void ExampleBuilder::add_int64s(const std::string& name, const std::vector<int64_t>& values) {
  auto* list = impl_->add(name).mutable_int64_list();
  for (int64_t v : values) list->add_value(v);
}

std::string ExampleBuilder::serialize() const {
  std::string out;
  impl_->example.SerializeToString(&out);
  return out;
}

}  // namespace dti::datasets
