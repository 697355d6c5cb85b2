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

#include <stb_image.h>

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

// Width x height an image's header claims, 0 if none is found. A JPEG's frame header (SOFn,
// ITU-T T.81 B.2.2) is read here, not by stbi_info, which would build the Huffman tables that
// load_image checks first.
int64_t claimed_pixels(const std::string& image) {
  const auto* p = reinterpret_cast<const unsigned char*>(image.data());
  const size_t n = image.size();
  size_t pos = 0;
  while (pos < n && p[pos] == 0xFF) ++pos;
  if (pos > 0 && pos < n && p[pos] == 0xD8) {
    for (++pos; pos + 8 < n;) {
      if (p[pos] != 0xFF) return 0;
      const unsigned marker = p[pos + 1];
      if (marker == 0xFF) {
        ++pos;
        continue;
      }
      if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)
        return int64_t{p[pos + 5] << 8 | p[pos + 6]} * (p[pos + 7] << 8 | p[pos + 8]);
      pos += 2 + (size_t{p[pos + 2]} << 8 | p[pos + 3]);
    }
    return 0;
  }
  int w = 0, h = 0, channels = 0;
  if (stbi_info_from_memory(p, static_cast<int>(n), &w, &h, &channels) == 0) return 0;
  return int64_t{w} * h;
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
