// libFuzzer harness for the HDF5 dataset reader (datasets/dataset_file.h, datasets/inspect.h):
// a damaged dataset file must be refused with a dti::Error naming it, never crash, hang or
// allocate what its header claims. Inputs are mutated from small generated files
// (tests/fuzz/h5_dataset_corpus/, `runexp data generate tetrominoes --n 1`); HDF5 reads files,
// so each input is written to a scratch file first. Built and run by ci/fuzz.sh.
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "base/error.h"
#include "datasets/dataset_file.h"
#include "datasets/inspect.h"

namespace {

// One scratch file per fuzzing process. Its stem names no catalogue dataset, so the reader goes
// by the file's own attributes, as for a user's converted file.
const std::string& scratch_path() {
  static const std::string path = [] {
    const char* base = std::getenv("TMPDIR");
    const std::string dir =
        std::string(base && *base ? base : "/tmp") + "/dti_h5_fuzz_" + std::to_string(::getpid());
    ::mkdir(dir.c_str(), 0700);
    return dir + "/fuzz_input.h5";
  }();
  return path;
}

// Most images read back per input: enough to reach every chunk of the small seed files.
constexpr int64_t kMaxImages = 8;

void read_everything(const dti::datasets::DatasetReader& reader) {
  const dti::datasets::DatasetInfo& info = reader.info();
  (void)reader.labels();
  (void)reader.parts();
  const int64_t count = reader.size() < kMaxImages ? reader.size() : kMaxImages;
  std::vector<uint8_t> image(static_cast<size_t>(info.image_numel()));
  std::vector<uint8_t> mask(static_cast<size_t>(info.mask_numel()));
  for (int64_t i = 0; i < count; ++i) {
    reader.read_image(i, image.data());
    if (info.has_instance_masks) reader.read_instance_mask(i, mask.data());
    if (info.has_semantic_masks) reader.read_semantic_mask(i, mask.data());
    (void)reader.read(i);
  }
  // inspect_dataset reads every image: only for files as small as the seeds.
  if (reader.size() <= kMaxImages) {
    (void)dti::datasets::format_report(dti::datasets::inspect_dataset(reader, false));
  }
}

}  // namespace

// libhdf5 sizes metadata buffers from the file: a damaged object header claiming 2.7 TB makes
// H5Fopen call malloc for it (found by this harness). In a normal process glibc returns NULL and
// HDF5 fails the open, which the reader reports as "truncated or corrupt (HDF5: memory allocation
// failed ...)"; ASan aborts instead unless told to return NULL as well.
extern "C" const char* __asan_default_options() { return "allocator_may_return_null=1"; }

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FILE* file = std::fopen(scratch_path().c_str(), "wb");
  if (file == nullptr) std::abort();
  if (size > 0 && std::fwrite(data, 1, size, file) != size) std::abort();
  std::fclose(file);
  try {
    const dti::datasets::DatasetReader reader(scratch_path());
    read_everything(reader);
  } catch (const dti::Error&) {
    // A clear refusal is the expected outcome for damaged input.
  }
  // Every path through the reader, refusals included, must close what it opened: a leaked handle
  // keeps the file open (and locked) for the rest of the process.
  if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) {
    std::fprintf(stderr, "HDF5 objects left open after the reader was destroyed\n");
    std::abort();
  }
  return 0;
}
