// libFuzzer harness for the checkpoint reader (core/checkpoint.h): any file must load or end in
// a dti::Error naming it, never a crash, a LibTorch exception or an allocation its header merely
// claims. A random change almost always fails the CRC-32 check first, so each input is also
// loaded with its CRC recomputed: that reaches the parser behind it. Seeds: small checkpoints
// written by save_checkpoint (tests/fuzz/checkpoint_corpus/). Built and run by ci/fuzz.sh.
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "base/error.h"
#include "core/checkpoint.h"

namespace {

const std::string& scratch_path() {
  static const std::string path = [] {
    const char* base = std::getenv("TMPDIR");
    return std::string(base && *base ? base : "/tmp") + "/dti_ckpt_fuzz_" +
           std::to_string(::getpid()) + ".ckpt";
  }();
  return path;
}

void load_bytes(const std::string& bytes) {
  FILE* file = std::fopen(scratch_path().c_str(), "wb");
  if (file == nullptr) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) {
    std::abort();
  }
  std::fclose(file);
  try {
    const dti::core::Checkpoint checkpoint = dti::core::load_checkpoint(scratch_path());
    for (const auto& t : checkpoint.tensors) (void)t.tensor.sum();  // touch every value
  } catch (const dti::Error&) {
    // A clear refusal is the expected outcome for damaged input.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string raw(reinterpret_cast<const char*>(data), size);
  load_bytes(raw);
  // The same bytes as a payload with a valid CRC-32 (zlib's polynomial, as the writer's) appended.
  const uint32_t crc = static_cast<uint32_t>(::crc32(0L, data, static_cast<uInt>(size)));
  load_bytes(raw + std::string(reinterpret_cast<const char*>(&crc), 4));
  return 0;
}
