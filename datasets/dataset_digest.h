#pragma once
// Checksums that cover every byte a dataset reader returns (format version 2, datasets/FORMAT.md).
//
// HDF5's own Fletcher-32 covers each stored chunk, but not the chunk index, the dataspace or the
// attributes: a flipped bit there can make a chunk read as zeros (a blank mask) or change a
// header value without any error. Version 2 files therefore also hold
//   - `checksums` uint32 [N,3]: CRC-32C of image i, instance mask i and semantic mask i (0 for an
//     absent array), each seeded with i so that a chunk read in place of another is caught;
//   - root attribute `content_sha256`: SHA-256 of every other thing a reader returns (attributes,
//     shape, which arrays exist, all labels and parts, and the checksums above).

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "datasets/dataset_file.h"

namespace dti::datasets {

/// Columns of the `checksums` array.
enum ChecksumColumn : int { kImageChecksum = 0, kInstanceChecksum = 1, kSemanticChecksum = 2 };
/// Number of columns of the `checksums` array.
constexpr int kChecksumColumns = 3;

/// CRC-32C of item `index` of one array: its index (8 bytes, little endian), then its bytes.
uint32_t item_checksum(int64_t index, const uint8_t* data, size_t size);

/// SHA-256 hex of everything a reader returns except pixels: `info` (size, shape, attributes,
/// which arrays exist), all `labels`, all `parts` and all `checksums` ([N,3] row-major).
std::string content_digest(const DatasetInfo& info, const std::vector<int64_t>& labels,
                           const std::vector<uint8_t>& parts,
                           const std::vector<uint32_t>& checksums);

}  // namespace dti::datasets
