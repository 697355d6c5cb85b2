#pragma once
// TensorBoard's Event records, encoded by hand in the protobuf wire format (no protobuf library:
// the four messages are small). Field numbers are those of TensorBoard's
// tensorboard/compat/proto/event.proto and summary.proto:
//   Event      { 1 wall_time double, 2 step int64, 3 file_version string, 5 summary Summary,
//                7 session_log SessionLog }
//   SessionLog { 1 status enum (START = 1) }
//   Summary    { 1 value repeated Value }
//   Value      { 1 tag string, 2 simple_value float, 4 image Image }
//   Image      { 1 height int32, 2 width int32, 3 colorspace int32, 4 encoded_image_string bytes }
// Framing the records into an events file (TFRecord) is experiments/tensorboard_writer.h's part.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "reports/image.h"

namespace dti::reports {

/// The version every TensorBoard events file starts with.
inline constexpr const char* kTensorboardFileVersion = "brain.Event:2";

/// A named value of a Summary: a scalar, or an image (PNG bytes with its size and channels).
struct TensorboardValue {
  std::string tag;        ///< e.g. "train/loss", "sprites".
  bool is_image = false;  ///< Image rather than scalar.
  float scalar = 0;       ///< simple_value, when !is_image.
  int height = 0;         ///< Image rows.
  int width = 0;          ///< Image columns.
  int colorspace = 0;     ///< 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA (= channels).
  std::string png;        ///< encoded_image_string.
};

/// A scalar value named `tag`.
TensorboardValue scalar_value(const std::string& tag, double value);
/// An image value named `tag`: `image` encoded as PNG (colorspace = its channel count).
TensorboardValue image_value(const std::string& tag, const Image& image);

/// The serialized Event that opens a file: wall_time and file_version = "brain.Event:2".
std::string file_version_event(double wall_time);
/// The serialized Event saying a (re)started process writes from `step` on: TensorBoard then
/// drops what an earlier file of the run recorded at steps >= `step` (a resumed run repeats them).
std::string session_start_event(double wall_time, int64_t step);
/// The serialized Event carrying a Summary of `values` at `step`.
std::string summary_event(double wall_time, int64_t step,
                          const std::vector<TensorboardValue>& values);

/// One field of a protobuf message as read back by parse_fields() (tests and tools).
struct ProtoField {
  int number = 0;     ///< Field number.
  int wire_type = 0;  ///< 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit.
  uint64_t bits = 0;  ///< Varint value, or the raw bits of a fixed-width field.
  std::string bytes;  ///< Length-delimited payload.
};

/// The top-level fields of a serialized message, in order; throws dti::Error on truncated or
/// malformed input (unknown wire types included).
std::vector<ProtoField> parse_fields(const std::string& message);

}  // namespace dti::reports
