#pragma once
// CRC-32C (Castagnoli), the checksum of TFRecord framing, and TensorFlow's "masked" form of it.

#include <cstddef>
#include <cstdint>

namespace dti::datasets {

/// CRC-32C of `size` bytes, continuing from `crc` (0 to start). Uses the SSE4.2 instruction when
/// the CPU has it, a slicing-by-8 table otherwise; both give the same value.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);

/// CRC-32C computed with the portable table only (exposed so tests can compare both paths).
uint32_t crc32c_portable(const void* data, size_t size, uint32_t crc = 0);

/// TensorFlow's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8.
inline uint32_t mask_crc32c(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

}  // namespace dti::datasets
