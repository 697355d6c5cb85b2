#include "reports/tensorboard_event.h"

#include <cstring>

#include "base/error.h"

namespace dti::reports {
namespace {

// Wire types of the protobuf encoding.
constexpr int kVarint = 0;
constexpr int kFixed64 = 1;
constexpr int kLengthDelimited = 2;
constexpr int kFixed32 = 5;

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void put_key(std::string& out, int number, int wire_type) {
  put_varint(out, (static_cast<uint64_t>(number) << 3) | static_cast<uint64_t>(wire_type));
}

void put_fixed(std::string& out, uint64_t bits, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void put_int(std::string& out, int number, int64_t value) {
  put_key(out, number, kVarint);
  put_varint(out, static_cast<uint64_t>(value));  // negative int64: ten bytes, as protobuf does
}

void put_bytes(std::string& out, int number, const std::string& bytes) {
  put_key(out, number, kLengthDelimited);
  put_varint(out, bytes.size());
  out += bytes;
}

void put_double(std::string& out, int number, double value) {
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, number, kFixed64);
  put_fixed(out, bits, 8);
}

void put_float(std::string& out, int number, float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  put_key(out, number, kFixed32);
  put_fixed(out, bits, 4);
}

// Event fields 1 (wall_time) and 2 (step), which every event starts with.
std::string event_header(double wall_time, int64_t step) {
  std::string event;
  put_double(event, 1, wall_time);
  if (step != 0) put_int(event, 2, step);  // proto3: a zero step is left out
  return event;
}

std::string encode_value(const TensorboardValue& v) {
  std::string value;
  put_bytes(value, 1, v.tag);
  if (!v.is_image) {
    put_float(value, 2, v.scalar);
    return value;
  }
  std::string image;
  put_int(image, 1, v.height);
  put_int(image, 2, v.width);
  put_int(image, 3, v.colorspace);
  put_bytes(image, 4, v.png);
  put_bytes(value, 4, image);
  return value;
}

uint64_t get_varint(const std::string& in, size_t& at) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    DTI_CHECK(at < in.size(), "protobuf message: varint runs past the end at byte ", at);
    const auto byte = static_cast<uint8_t>(in[at++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  throw Error("protobuf message: varint longer than 10 bytes before byte " + std::to_string(at));
}

uint64_t get_fixed(const std::string& in, size_t& at, int bytes) {
  DTI_CHECK(at + static_cast<size_t>(bytes) <= in.size(), "protobuf message: ", bytes,
            "-byte field runs past the end at byte ", at);
  uint64_t bits = 0;
  for (int i = 0; i < bytes; ++i)
    bits |= static_cast<uint64_t>(static_cast<uint8_t>(in[at + i])) << (8 * i);
  at += static_cast<size_t>(bytes);
  return bits;
}

}  // namespace

TensorboardValue scalar_value(const std::string& tag, double value) {
  TensorboardValue v;
  v.tag = tag;
  v.scalar = static_cast<float>(value);  // simple_value is a float in summary.proto
  return v;
}

TensorboardValue image_value(const std::string& tag, const Image& image) {
  TensorboardValue v;
  v.tag = tag;
  v.is_image = true;
  v.height = image.height;
  v.width = image.width;
  v.colorspace = image.channels;  // 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA: as Image's channels
  v.png = encode_png(image, "TensorBoard image '" + tag + "'");
  return v;
}

std::string file_version_event(double wall_time) {
  std::string event = event_header(wall_time, 0);
  put_bytes(event, 3, kTensorboardFileVersion);
  return event;
}

std::string session_start_event(double wall_time, int64_t step) {
  std::string session_log;
  put_int(session_log, 1, 1);  // status = START
  std::string event = event_header(wall_time, step);
  put_bytes(event, 7, session_log);
  return event;
}

std::string summary_event(double wall_time, int64_t step,
                          const std::vector<TensorboardValue>& values) {
  std::string summary;
  for (const auto& v : values) put_bytes(summary, 1, encode_value(v));
  std::string event = event_header(wall_time, step);
  put_bytes(event, 5, summary);
  return event;
}

std::vector<ProtoField> parse_fields(const std::string& message) {
  std::vector<ProtoField> fields;
  size_t at = 0;
  while (at < message.size()) {
    const uint64_t key = get_varint(message, at);
    ProtoField f;
    f.number = static_cast<int>(key >> 3);
    f.wire_type = static_cast<int>(key & 7);
    if (f.wire_type == kVarint) {
      f.bits = get_varint(message, at);
    } else if (f.wire_type == kFixed64 || f.wire_type == kFixed32) {
      f.bits = get_fixed(message, at, f.wire_type == kFixed64 ? 8 : 4);
    } else if (f.wire_type == kLengthDelimited) {
      const uint64_t size = get_varint(message, at);
      DTI_CHECK(size <= message.size() - at, "protobuf message: field ", f.number, " of ", size,
                " bytes runs past the end (", message.size() - at, " left)");
      f.bytes = message.substr(at, static_cast<size_t>(size));
      at += static_cast<size_t>(size);
    } else {
      throw Error("protobuf message: field " + std::to_string(f.number) + " has wire type " +
                  std::to_string(f.wire_type) + "; expected 0, 1, 2 or 5");
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

}  // namespace dti::reports
