#pragma once
// TFRecord files: a sequence of records, each framed as
//   uint64 length | uint32 masked CRC-32C of the length | data | uint32 masked CRC-32C of the data
// (little-endian), optionally inside one GZIP stream (DeepMind's files are). Both CRCs are checked.

#include <cstdint>
#include <string>

namespace dti::datasets {

/// Sequential reader; reads GZIP-compressed and plain files alike (zlib tells them apart).
class TfRecordReader {
 public:
  /// Opens `path`; throws dti::Error when it is missing or unreadable.
  explicit TfRecordReader(const std::string& path);
  /// Closes the file.
  ~TfRecordReader();
  TfRecordReader(const TfRecordReader&) = delete;
  TfRecordReader& operator=(const TfRecordReader&) = delete;

  /// Reads the next record into `data`; returns false at the clean end of the file. Throws
  /// dti::Error naming the file and the record index on a truncated record, a CRC mismatch or
  /// corrupt compressed data.
  bool next(std::string& data);
  /// Index of the record the next call to next() reads (= records read so far).
  int64_t record_index() const { return index_; }
  /// Bytes of the file consumed so far (compressed bytes for a GZIP file), for progress.
  int64_t file_offset() const;
  /// Size of the file in bytes.
  int64_t file_size() const { return file_size_; }
  /// Path given to the constructor.
  const std::string& path() const { return path_; }

 private:
  size_t read_bytes(void* out, size_t size);
  [[noreturn]] void fail(const std::string& what) const;
  std::string path_;
  void* gz_ = nullptr;  // gzFile
  int64_t index_ = 0;
  int64_t stream_offset_ = 0;
  int64_t file_size_ = 0;
};

/// Writer (used by tests and fixtures): frames records and optionally GZIP-compresses the file.
class TfRecordWriter {
 public:
  /// Creates `path`; `gzip` selects compression. Throws dti::Error when it cannot be created.
  TfRecordWriter(const std::string& path, bool gzip);
  /// Closes the file (errors are lost: call close() to see them).
  ~TfRecordWriter();
  TfRecordWriter(const TfRecordWriter&) = delete;
  TfRecordWriter& operator=(const TfRecordWriter&) = delete;

  /// Appends one record.
  void write(const std::string& data);
  /// Hands what was written so far to the operating system, so that a reader following the file
  /// (TensorBoard) sees whole records while the writer keeps it open.
  void flush();
  /// Flushes and closes the file (also done by the destructor, which cannot report errors).
  void close();

 private:
  void write_bytes(const void* data, size_t size);
  std::string path_;
  void* gz_ = nullptr;  // gzFile
};

}  // namespace dti::datasets
