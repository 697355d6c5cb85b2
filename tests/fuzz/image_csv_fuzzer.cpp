// libFuzzer harness for image decoding (datasets/image_io.h, stb) and the label CSVs read by the
// `folder` and `gtsrb8` converters (datasets/convert_images.cpp): any image bytes and any CSV
// text must convert or end in a dti::Error, never a crash, a hang or a huge allocation.
// Input layout: byte 0 chooses the converter and the image's extension; the rest is the image,
// optionally followed by "\n#CSV\n" and the CSV. Seeds in tests/fuzz/image_csv_corpus/ (small
// PNG, JPEG, PPM, BMP, GIF and TGA files with labels CSVs). Built and run by ci/fuzz.sh.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/error.h"
#include "datasets/convert.h"
#include "datasets/image_io.h"

namespace fs = std::filesystem;

namespace {

const char* const kExtensions[] = {".png", ".jpg", ".ppm", ".bmp", ".gif", ".tga", ".pgm", ".jpeg"};

const fs::path& scratch_dir() {
  static const fs::path dir = [] {
    const char* base = std::getenv("TMPDIR");
    return fs::path(base && *base ? base : "/tmp") /
           ("dti_image_fuzz_" + std::to_string(::getpid()));
  }();
  return dir;
}

void write_file(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) std::abort();
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) {
    std::abort();
  }
  std::fclose(file);
}

// `folder`: root/cls/img.EXT with the CSV as --labels-csv.
void convert_as_folder(const std::string& image, const std::string& csv, const char* extension,
                       bool resize) {
  const fs::path root = scratch_dir() / "folder";
  write_file(root / "cls" / (std::string("img") + extension), image);
  dti::datasets::ConvertOptions options;
  options.inputs = {root.string()};
  options.output = (scratch_dir() / "out.h5").string();
  options.show_progress = false;
  options.size = resize ? 16 : 0;
  if (!csv.empty()) {
    options.labels_csv = (scratch_dir() / "labels.csv").string();
    write_file(options.labels_csv, csv);
  }
  (void)dti::datasets::convert_folder(options);
}

// `gtsrb8`: the eight class folders, class 3's holding the image and the CSV as GT-00003.csv.
void convert_as_gtsrb(const std::string& image, const std::string& csv) {
  const fs::path root = scratch_dir() / "gtsrb";
  for (const char* name : {"00007", "00009", "00011", "00017", "00018", "00025", "00035"}) {
    fs::create_directories(root / name);
  }
  write_file(root / "00003" / "00000_00000.ppm", image);
  if (!csv.empty()) write_file(root / "00003" / "GT-00003.csv", csv);
  dti::datasets::ConvertOptions options;
  options.inputs = {root.string()};
  options.output = (scratch_dir() / "out.h5").string();
  options.show_progress = false;
  (void)dti::datasets::convert_gtsrb8(options);
}

// Width x height the image's header claims, by the checks load_image makes first (0 where they
// refuse it or find no header: load_image then refuses it too, at no cost).
int64_t claimed_pixels(const std::string& image) {
  try {
    const auto header = dti::datasets::checked_image_header(image, "input");
    return int64_t{header.width} * header.height;
  } catch (const dti::Error&) {
    return 0;
  }
}

// Inputs claiming more pixels are skipped: converting them costs time in proportion (a 35-byte
// RLE TGA of 1144x33536 took 65 s under ASan, so one near load_image's 100 M limit would pass
// the harness's 120-s timeout), and what they exercise is the pixel count, not the parsing.
// The limit itself is tested by ImageIoTest.HeaderClaimingHugeImageIsRefusedBeforeDecoding.
constexpr int64_t kFuzzMaxPixels = int64_t{1} << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string marker = "\n#CSV\n";
  const size_t split = rest.find(marker);
  const std::string image = rest.substr(0, split);
  const std::string csv = split == std::string::npos ? "" : rest.substr(split + marker.size());
  if (claimed_pixels(image) > kFuzzMaxPixels) return 0;
  fs::remove_all(scratch_dir());
  try {
    if (mode & 0x80) {
      convert_as_gtsrb(image, csv);
    } else {
      convert_as_folder(image, csv, kExtensions[mode & 7], (mode & 0x40) != 0);
    }
  } catch (const dti::Error&) {
    // A clear refusal is the expected outcome for damaged input.
  }
  try {
    // The mask path of weizmann_horse: one channel, then nearest-neighbour resizing.
    const fs::path path = scratch_dir() / "mask.png";
    write_file(path, image);
    const dti::datasets::Image mask = dti::datasets::load_image(path.string(), 1);
    (void)dti::datasets::resize_nearest(mask, 7, 9);
  } catch (const dti::Error&) {
  }
  return 0;
}
