// TFRecord framing (masked CRC-32C), GZIP, and tf.train.Example parsing with libprotobuf.

#include <zlib.h>

#include "datasets/crc32c.h"
#include "datasets/random.h"
#include "datasets/tf_example.h"
#include "datasets/tfrecord.h"
#include "tests/datasets/test_util.h"
#include "tests/support/expect_error.h"

namespace dti::datasets {
namespace {

using test::ScratchTest;

std::string gunzip(const std::string& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  std::string out;
  char buffer[1 << 14];
  int got = 0;
  while ((got = gzread(gz, buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<size_t>(got));
  gzclose(gz);
  return out;
}

void gzip_to(const std::string& path, const std::string& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(gz);
}

std::vector<std::string> read_records(const std::string& path) {
  TfRecordReader reader(path);
  std::vector<std::string> records;
  std::string data;
  while (reader.next(data)) records.push_back(data);
  return records;
}

TEST(Crc32cTest, KnownValuesAndBothImplementationsAgree) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32c(check.data(), check.size()), 0xE3069283u);  // the standard check value
  EXPECT_EQ(crc32c_portable(check.data(), check.size()), 0xE3069283u);
  std::vector<uint8_t> zeros(32, 0);
  EXPECT_EQ(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);  // RFC 3720 B.4
  Rng rng(7);
  std::vector<uint8_t> data(10007);
  for (auto& v : data) v = static_cast<uint8_t>(rng.next());
  for (size_t n : {0, 1, 7, 8, 9, 1000, 10007}) {
    EXPECT_EQ(crc32c(data.data(), n), crc32c_portable(data.data(), n)) << n;
  }
  // Incremental use gives the one-shot value.
  EXPECT_EQ(crc32c(data.data() + 100, 900, crc32c(data.data(), 100)), crc32c(data.data(), 1000));
  EXPECT_EQ(mask_crc32c(0), 0xa282ead8u);
}

class TfRecordTest : public ScratchTest {};

TEST_F(TfRecordTest, RealFileHasTenCheckedRecords) {
  const auto records = read_records(test::fixture("tetrominoes/tetrominoes_mini.tfrecords"));
  ASSERT_EQ(records.size(), 10u);
  for (const auto& r : records) EXPECT_EQ(r.size(), 25944u);
  ExampleView example(records[0], "record 0");
  EXPECT_EQ(example.names(),
            (std::vector<std::string>{"color", "image", "mask", "shape", "visibility", "x", "y"}));
  EXPECT_EQ(example.floats("shape", 4), (std::vector<float>{0, 6, 5, 15}));
  EXPECT_EQ(example.bytes("image", 35 * 35 * 3).size(), 3675u);
}

TEST_F(TfRecordTest, WriterRoundTripsCompressedAndPlain) {
  for (bool gzip : {true, false}) {
    const std::string file = path(gzip ? "a.tfrecords.gz" : "a.tfrecords");
    std::vector<std::string> records = {"", "x", std::string(100000, 'q'), "last"};
    {
      TfRecordWriter writer(file, gzip);
      for (const auto& r : records) writer.write(r);
      writer.close();
    }
    EXPECT_EQ(read_records(file), records) << (gzip ? "gzip" : "plain");
  }
}

TEST_F(TfRecordTest, CorruptedByteIsACrcErrorNamingTheRecord) {
  std::string raw = gunzip(test::fixture("tetrominoes/tetrominoes_mini.tfrecords"));
  ASSERT_EQ(raw.size(), 259600u);
  // Record 3 starts at 3 * (12 + 25944 + 4); flip a byte in the middle of its data.
  const size_t record3 = 3 * (12 + 25944 + 4);
  raw[record3 + 12 + 5000] = static_cast<char>(raw[record3 + 12 + 5000] ^ 0x01);
  gzip_to(path("data_flip.tfrecords"), raw);
  EXPECT_ERROR_CONTAINS(read_records(path("data_flip.tfrecords")),
                        "data_flip.tfrecords: record 3 (uncompressed byte offset 77880): data "
                        "CRC-32C mismatch");
  EXPECT_ERROR_CONTAINS(read_records(path("data_flip.tfrecords")), "download it again");

  raw = gunzip(test::fixture("tetrominoes/tetrominoes_mini.tfrecords"));
  raw[3 * (12 + 25944 + 4) + 2] ^= 0x10;  // the length field of record 3
  gzip_to(path("length_flip.tfrecords"), raw);
  EXPECT_ERROR_CONTAINS(read_records(path("length_flip.tfrecords")),
                        "record 3 (uncompressed byte offset 77880): length CRC-32C mismatch");
}

TEST_F(TfRecordTest, TruncatedAndDamagedFilesAreReported) {
  const std::string raw = gunzip(test::fixture("tetrominoes/tetrominoes_mini.tfrecords"));
  gzip_to(path("cut.tfrecords"), raw.substr(0, 5 * 25960 + 1000));
  EXPECT_ERROR_CONTAINS(
      read_records(path("cut.tfrecords")),
      "record 5 (uncompressed byte offset 129800): truncated data (988 of 25944 bytes)");

  // A damaged byte in the compressed stream: zlib or a CRC catches it, and the record is named.
  std::string gz = test::read_bytes(test::fixture("tetrominoes/tetrominoes_mini.tfrecords"));
  gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0xFF);
  test::write_bytes(path("gz_flip.tfrecords"), gz);
  EXPECT_ERROR_CONTAINS(read_records(path("gz_flip.tfrecords")), ": record ");
  const std::string message =
      dti::test::error_message([&] { read_records(path("gz_flip.tfrecords")); });
  EXPECT_TRUE(message.find("CRC") != std::string::npos ||
              message.find("corrupt compressed data") != std::string::npos)
      << message;

  EXPECT_ERROR_CONTAINS(read_records(path("absent.tfrecords")), "does not exist");
}

// Found by tests/fuzz/tfrecord_fuzzer.cpp: a length field with a valid CRC made the reader
// allocate what it claimed (194 TB) before reading.
TEST_F(TfRecordTest, HugeLengthWithValidCrcIsRefusedBeforeAllocating) {
  const auto header = [](uint64_t length) {
    std::string h(reinterpret_cast<const char*>(&length), 8);
    const uint32_t crc = mask_crc32c(crc32c(h.data(), 8));
    return h + std::string(reinterpret_cast<const char*>(&crc), 4);
  };
  test::write_bytes(path("huge.tfrecords"), header(uint64_t{0xb06000400000}) + "abc");
  EXPECT_ERROR_CONTAINS(read_records(path("huge.tfrecords")),
                        "record length 193926367543296 bytes (at most 1073741824 expected)");
  // Within the bound but beyond the file: only what is there is read.
  test::write_bytes(path("long.tfrecords"), header(uint64_t{1} << 29) + "abc");
  EXPECT_ERROR_CONTAINS(read_records(path("long.tfrecords")),
                        "truncated data (3 of 536870912 bytes)");
}

TEST(TfExampleTest, LazyBytesListMatchesEitherStorage) {
  std::vector<uint8_t> pixels(300);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 13);
  ExampleBuilder builder;
  builder.add_bytes_per_element("image", pixels);  // DeepMind: one string per byte
  builder.add_bytes("raw", {std::string(pixels.begin(), pixels.begin() + 100),
                            std::string(pixels.begin() + 100, pixels.end())});
  builder.add_floats("visibility", {1, 0, 1});
  builder.add_int64s("ids", {4, 5});
  const ExampleView view(builder.serialize(), "built");
  EXPECT_EQ(view.bytes("image", 300), pixels);
  EXPECT_EQ(view.bytes("raw", 300), pixels);
  EXPECT_EQ(view.floats("visibility", 3), (std::vector<float>{1, 0, 1}));
  EXPECT_TRUE(view.has("ids"));
  EXPECT_FALSE(view.has("mask"));
  EXPECT_ERROR_CONTAINS(view.bytes("mask", 10),
                        "built: no feature 'mask' (the record has: ids, image, raw, visibility)");
  EXPECT_ERROR_CONTAINS(view.bytes("image", 299), "feature 'image' has 300 bytes, expected 299");
  EXPECT_ERROR_CONTAINS(view.floats("image", 300), "feature 'image' is not a FloatList");
  EXPECT_ERROR_CONTAINS(ExampleView("\xff\xff\xff", "junk"), "junk: not a tf.train.Example");
}

}  // namespace
}  // namespace dti::datasets
