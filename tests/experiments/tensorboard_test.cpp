// TensorBoard event files (experiments/run/tensorboard_run.h, reports/tensorboard_event.h) read
// back with our TFRecord reader (which checks both CRCs of every record) and decoded field by field
// against TensorBoard's event.proto and summary.proto numbers. TensorBoard's own reader is
// tests/experiments/runexp_tensorboard_test.cpp's part.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "datasets/tfrecord.h"
#include "experiments/run/tensorboard_run.h"
#include "reports/image.h"
#include "reports/tensorboard_event.h"
#include "tests/support/expect_error.h"

namespace dti::experiments {
namespace {
namespace fs = std::filesystem;
using reports::ProtoField;

class TensorboardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("dti_tensorboard_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::vector<std::string> event_files() const {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir_))
      if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
        files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    return files;
  }
  fs::path dir_;
};

std::vector<std::string> read_records(const std::string& path) {
  datasets::TfRecordReader reader(path);
  std::vector<std::string> records;
  std::string record;
  while (reader.next(record)) records.push_back(record);
  return records;
}

// The fields of `message` by number (the last one of each number; repeated ones: see all()).
std::map<int, ProtoField> by_number(const std::string& message) {
  std::map<int, ProtoField> fields;
  for (auto& f : reports::parse_fields(message)) fields[f.number] = f;
  return fields;
}

std::vector<ProtoField> all(const std::string& message, int number) {
  std::vector<ProtoField> out;
  for (auto& f : reports::parse_fields(message))
    if (f.number == number) out.push_back(f);
  return out;
}

double as_double(const ProtoField& f) {
  double value = 0;
  std::memcpy(&value, &f.bits, sizeof value);
  return value;
}

float as_float(const ProtoField& f) {
  const auto bits = static_cast<uint32_t>(f.bits);
  float value = 0;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

reports::Image gradient(int height, int width, int channels) {
  auto image = reports::Image::zeros(height, width, channels);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) image.at(y, x, c) = float((x + y + c) % 5) / 4.0f;
  return image;
}

TEST_F(TensorboardTest, ScalarsAndImagesReadBackFieldByField) {
  const auto image = gradient(6, 9, 3);
  {
    TensorboardWriter writer(dir_.string(), 0);
    writer.scalars(10, {{"train/loss", 0.25}, {"train/lr_sprites", 1e-4}});
    writer.write(20, {reports::image_value("sprites", image)});
    writer.close();
  }
  const auto files = event_files();
  ASSERT_EQ(files.size(), 1u);
  const auto records = read_records(files[0]);  // throws on a CRC mismatch
  ASSERT_EQ(records.size(), 3u);

  // Event 1: wall_time (1, double), file_version (3) = "brain.Event:2", no step.
  auto first = by_number(records[0]);
  ASSERT_EQ(first.count(1), 1u);
  EXPECT_EQ(first[1].wire_type, 1);
  EXPECT_GT(as_double(first[1]), 1.6e9);  // seconds since 1970, after 2020
  EXPECT_EQ(first[3].bytes, "brain.Event:2");
  EXPECT_EQ(first.count(2), 0u);

  // Event 2: step (2) = 10, summary (5) with two values {tag (1), simple_value (2, float)}.
  auto second = by_number(records[1]);
  EXPECT_EQ(second[2].wire_type, 0);
  EXPECT_EQ(second[2].bits, 10u);
  const auto values = all(second[5].bytes, 1);
  ASSERT_EQ(values.size(), 2u);
  auto loss = by_number(values[0].bytes);
  EXPECT_EQ(loss[1].bytes, "train/loss");
  EXPECT_EQ(loss[2].wire_type, 5);
  EXPECT_FLOAT_EQ(as_float(loss[2]), 0.25f);
  auto lr = by_number(values[1].bytes);
  EXPECT_EQ(lr[1].bytes, "train/lr_sprites");
  EXPECT_FLOAT_EQ(as_float(lr[2]), 1e-4f);

  // Event 3: an image value (4): height (1), width (2), colorspace (3), PNG (4) of the pixels.
  auto third = by_number(records[2]);
  EXPECT_EQ(third[2].bits, 20u);
  auto value = by_number(by_number(third[5].bytes)[1].bytes);
  EXPECT_EQ(value[1].bytes, "sprites");
  auto encoded = by_number(value[4].bytes);
  EXPECT_EQ(encoded[1].bits, 6u);
  EXPECT_EQ(encoded[2].bits, 9u);
  EXPECT_EQ(encoded[3].bits, 3u);
  const std::string png = encoded[4].bytes;
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(1, 3), "PNG");
  const auto png_path = (dir_ / "decoded.png").string();
  std::ofstream(png_path, std::ios::binary) << png;
  const auto decoded = reports::read_png(png_path);
  ASSERT_EQ(decoded.data.size(), image.data.size());
  for (size_t i = 0; i < image.data.size(); ++i)
    EXPECT_NEAR(decoded.data[i], image.data[i], 0.5 / 255 + 1e-6);
}

TEST_F(TensorboardTest, ANewWriterNeverTouchesAnEarlierFileAndAResumeSaysWhereItStarts) {
  TensorboardWriter(dir_.string(), 0).scalars(5, {{"train/loss", 1.0}});
  const auto before = event_files();
  ASSERT_EQ(before.size(), 1u);
  const auto bytes_before = fs::file_size(before[0]);
  {
    TensorboardWriter resumed(dir_.string(), 4);  // same second, same process: another name
    resumed.scalars(6, {{"train/loss", 0.5}});
  }
  const auto after = event_files();
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(fs::file_size(before[0]), bytes_before);
  const std::string second = after[0] == before[0] ? after[1] : after[0];
  const auto records = read_records(second);
  ASSERT_EQ(records.size(), 3u);
  // Event 2: step 4 with session_log (7) {status (1) = START (1)}, so TensorBoard purges steps
  // >= 4.
  auto start = by_number(records[1]);
  EXPECT_EQ(start[2].bits, 4u);
  ASSERT_EQ(start.count(7), 1u);
  EXPECT_EQ(by_number(start[7].bytes)[1].bits, 1u);
}

TEST_F(TensorboardTest, ACorruptedRecordIsRefusedByTheCrc) {
  TensorboardWriter(dir_.string(), 0).scalars(1, {{"train/loss", 2.0}});
  const auto path = event_files().at(0);
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(-6, std::ios::end);  // inside the last record's data
  file.put('\x7f');
  file.close();
  EXPECT_ERROR_CONTAINS(read_records(path), "CRC");
}

TEST_F(TensorboardTest, TruncatedOrMalformedMessagesAreRefused) {
  const auto event = reports::summary_event(1.0, 3, {reports::scalar_value("a", 1)});
  EXPECT_ERROR_CONTAINS(reports::parse_fields(event.substr(0, event.size() - 2)),
                        "runs past the end");
  EXPECT_ERROR_CONTAINS(reports::parse_fields(std::string("\x0b", 1)), "wire type 3");
}

TEST_F(TensorboardTest, AFolderThatCannotBeCreatedIsSaidOnceAndTheRunGoesOn) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";  // a file where the run folder should be
  core::ModelOptions options;
  options.image_size = {16, 16};
  options.channels = 3;
  options.n_sprites = 2;
  options.n_objects = 1;
  options.transformation_sequence = "color";
  core::DtiSprites model(options, 0);
  std::ostringstream log;
  RunTensorboard tensorboard((dir_ / "file" / "run").string(), 0, model, log, "t");
  EXPECT_EQ(tensorboard.path(), "");
  EXPECT_NO_THROW(tensorboard.progress(core::TrainProgress{}));
  EXPECT_NE(log.str().find("t: TensorBoard events: "), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("no more events for this run"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace dti::experiments
