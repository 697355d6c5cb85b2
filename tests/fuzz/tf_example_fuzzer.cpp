// libFuzzer harness for tf.train.Example parsing (datasets/tf_example.h): any bytes handed to
// ExampleView, and every feature read back as a BytesList or a FloatList of the sizes the
// converters ask for, must end in values or a dti::Error, never a crash or a huge allocation.
// Built and run by ci/fuzz.sh; seeds (DeepMind-layout records) in tests/fuzz/tf_example_corpus/.
#include <google/protobuf/stubs/logging.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "base/error.h"
#include "datasets/tf_example.h"

namespace {

// Sizes the converters request (tetrominoes 35x35x3, multi_dsprites 64x64, a mask of 4 entities)
// plus zero: the size check runs after decoding, so every size exercises the whole decoder.
constexpr size_t kSizes[] = {0, 1, 35 * 35 * 3, 64 * 64, 4 * 35 * 35};

void read_every_feature(const dti::datasets::ExampleView& example) {
  for (const std::string& name : example.names()) {
    if (!example.has(name)) std::abort();  // names() and has() must agree
    for (size_t size : kSizes) {
      try {
        (void)example.bytes(name, size);
      } catch (const dti::Error&) {
      }
      try {
        (void)example.floats(name, size);
      } catch (const dti::Error&) {
      }
    }
  }
}

}  // namespace

// libprotobuf logs every invalid UTF-8 key it meets; the reader's error is what counts here.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string serialized(reinterpret_cast<const char*>(data), size);
  try {
    const dti::datasets::ExampleView example(serialized, "fuzz input");
    read_every_feature(example);
    (void)example.bytes("image", 35 * 35 * 3);  // a missing name must be a clear error too
  } catch (const dti::Error&) {
    // A clear refusal is the expected outcome for damaged input.
  }
  return 0;
}
