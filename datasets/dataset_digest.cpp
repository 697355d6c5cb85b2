#include "datasets/dataset_digest.h"

#include "base/sha256.h"
#include "datasets/crc32c.h"

namespace dti::datasets {
namespace {

// Length-prefixed fields, so that no two different contents serialise to the same bytes.
void add_bytes(Sha256& hash, const void* data, size_t size) {
  const uint64_t length = size;
  hash.update(&length, sizeof length);
  hash.update(data, size);
}

void add_text(Sha256& hash, const std::string& text) { add_bytes(hash, text.data(), text.size()); }

void add_int(Sha256& hash, int64_t value) { hash.update(&value, sizeof value); }

void add_texts(Sha256& hash, const std::vector<std::string>& texts) {
  add_int(hash, static_cast<int64_t>(texts.size()));
  for (const std::string& text : texts) add_text(hash, text);
}

}  // namespace

uint32_t item_checksum(int64_t index, const uint8_t* data, size_t size) {
  uint8_t prefix[8];
  for (int b = 0; b < 8; ++b)
    prefix[b] = static_cast<uint8_t>(static_cast<uint64_t>(index) >> (8 * b));
  return crc32c(data, size, crc32c(prefix, sizeof prefix));
}

std::string content_digest(const DatasetInfo& info, const std::vector<int64_t>& labels,
                           const std::vector<uint8_t>& parts,
                           const std::vector<uint32_t>& checksums) {
  Sha256 hash;
  add_text(hash, "dtisprites-dataset content v2");
  add_text(hash, info.name);
  for (int64_t v : {info.format_version, info.size, info.height, info.width, info.num_classes,
                    info.max_objects, int64_t{info.has_labels}, int64_t{info.has_instance_masks},
                    int64_t{info.has_semantic_masks}})
    add_int(hash, v);
  add_texts(hash, info.label_names);
  add_texts(hash, info.part_names);
  add_texts(hash, info.clustering_parts);
  add_text(hash, info.provenance);
  add_bytes(hash, labels.data(), labels.size() * sizeof(int64_t));
  add_bytes(hash, parts.data(), parts.size());
  add_bytes(hash, checksums.data(), checksums.size() * sizeof(uint32_t));
  return hash.hex_digest();
}

}  // namespace dti::datasets
