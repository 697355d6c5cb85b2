// Converters for the image-file datasets: GTSRB-8 and Weizmann Horse (a user's own folder:
// convert_folder.cpp).

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"
#include "datasets/checksum.h"
#include "datasets/convert.h"
#include "datasets/convert_support.h"
#include "datasets/dataset_file.h"
#include "datasets/image_io.h"
#include "datasets/progress.h"
#include "datasets/provenance.h"

namespace dti::datasets {
namespace {

namespace fs = std::filesystem;
using image_folders::is_image_file;
using image_folders::reject_archive;

// GTSRB-8: the eight classes of DTI-Sprites' Table 3, in label order.
constexpr int kGtsrbClasses[8] = {3, 7, 9, 11, 17, 18, 25, 35};
constexpr int64_t kGtsrbSize = 28;
constexpr int64_t kGtsrbExpected = 10650;
constexpr int64_t kHorseSize = 128;
constexpr int64_t kHorseExpected = 328;
// figure_ground JPEGs are 0/255 masks blurred by compression: >= 128 is horse.
constexpr uint8_t kMaskThreshold = 128;

// Regular files of `dir` (not recursive) accepted by `keep`, sorted by name.
std::vector<fs::path> sorted_files(const fs::path& dir, bool (*keep)(const fs::path&)) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_regular_file() && keep(entry.path())) out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One row of a GTSRB annotation file.
struct GtsrbRow {
  int64_t width = 0, height = 0;
  int class_id = -1;
};

std::map<std::string, GtsrbRow> read_gtsrb_csv(const fs::path& csv) {
  std::map<std::string, GtsrbRow> rows;
  std::ifstream in(csv);
  DTI_CHECK(in.good(), "gtsrb8: cannot read '", csv.string(), "'");
  std::string line;
  std::getline(in, line);  // header: Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId
  DTI_CHECK(line.rfind("Filename;Width;Height", 0) == 0, "gtsrb8: '", csv.string(),
            "' does not start with the GTSRB header 'Filename;Width;Height;...;ClassId'");
  int64_t number = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line == "\r") continue;
    const auto f = split(line, ';', /*trim=*/true);
    DTI_CHECK(f.size() == 8, "gtsrb8: '", csv.string(), "' line ", number, " has ", f.size(),
              " fields, expected 8");
    try {
      rows[f[0]] = GtsrbRow{std::stoll(f[1]), std::stoll(f[2]), std::stoi(f[7])};
    } catch (const std::exception&) {
      throw Error(detail::concat("gtsrb8: '", csv.string(), "' line ", number,
                                 " is not 'name;width;height;x1;y1;x2;y2;class'"));
    }
  }
  return rows;
}

fs::path gtsrb_images_root(const std::string& input) {
  reject_archive("gtsrb8", input);
  DTI_CHECK(fs::is_directory(input), "gtsrb8: input '", input,
            "' is not a folder; expected the extracted GTSRB training set "
            "(GTSRB/Final_Training/Images)");
  for (const fs::path& candidate : {fs::path(input), fs::path(input) / "Final_Training" / "Images",
                                    fs::path(input) / "GTSRB" / "Final_Training" / "Images"}) {
    if (fs::is_directory(candidate / "00003")) return candidate;
  }
  throw Error(detail::concat("gtsrb8: no class folder 00003 under '", input,
                             "'; expected the extracted GTSRB training set "
                             "(GTSRB/Final_Training/Images/000CC/*.ppm)"));
}

}  // namespace

void ConvertOptions::validate(const std::string& converter) const {
  DTI_CHECK(!inputs.empty(), converter, ": no --input given");
  DTI_CHECK(!output.empty(), converter, ": no --out given");
  DTI_CHECK(limit >= 0, converter, ": --limit ", limit, " must be >= 0 (0 = default)");
  DTI_CHECK(size >= 0 && size <= 4096, converter, ": --size ", size, " outside 0..4096");
}

ConvertSummary convert_gtsrb8(const ConvertOptions& options) {
  options.validate("gtsrb8");
  DTI_CHECK(options.inputs.size() == 1, "gtsrb8: expected one --input folder, got ",
            options.inputs.size());
  const fs::path root = gtsrb_images_root(options.inputs.front());
  // Collect every file first, so that a missing class folder fails before any writing.
  struct Item {
    fs::path path;
    int label;
    GtsrbRow row;
  };
  std::vector<Item> items;
  std::vector<std::string> used;  // relative paths of the annotation files and converted images
  ConvertSummary summary;
  for (int label = 0; label < 8; ++label) {
    char name[16];
    std::snprintf(name, sizeof name, "%05d", kGtsrbClasses[label]);
    const fs::path dir = root / name;
    DTI_CHECK(fs::is_directory(dir), "gtsrb8: class folder '", dir.string(),
              "' is missing; is this the complete GTSRB training set?");
    const fs::path csv = dir / ("GT-" + std::string(name) + ".csv");
    std::map<std::string, GtsrbRow> rows;
    if (fs::exists(csv)) {
      rows = read_gtsrb_csv(csv);
      used.push_back(fs::relative(csv, root).generic_string());
    } else {
      summary.notes.push_back("no annotation file " + csv.string() + "; sizes not cross-checked");
    }
    const auto files = sorted_files(
        dir, [](const fs::path& p) { return to_lower(p.extension().string()) == ".ppm"; });
    int64_t listed_missing = static_cast<int64_t>(rows.size());
    for (const auto& file : files) {
      GtsrbRow row;
      auto it = rows.find(file.filename().string());
      if (it != rows.end()) {
        row = it->second;
        --listed_missing;
        DTI_CHECK(row.class_id == kGtsrbClasses[label], "gtsrb8: '", csv.string(), "' gives ",
                  file.filename().string(), " class ", row.class_id, ", but it is in folder ",
                  name);
      }
      items.push_back({file, label, row});
    }
    if (!rows.empty() && listed_missing > 0) {
      summary.notes.push_back(detail::concat(listed_missing, " images listed in ",
                                             csv.filename().string(), " are not in ",
                                             dir.string()));
    }
  }
  DTI_CHECK(!items.empty(), "gtsrb8: no .ppm images in the eight class folders under '",
            root.string(), "'");
  if (options.limit > 0 && static_cast<int64_t>(items.size()) > options.limit) {
    items.resize(static_cast<size_t>(options.limit));
  }
  for (const auto& item : items) used.push_back(fs::relative(item.path, root).generic_string());
  DatasetInfo info;
  info.name = "gtsrb8";
  info.height = kGtsrbSize;
  info.width = kGtsrbSize;
  info.has_labels = true;
  info.num_classes = 8;
  for (int c : kGtsrbClasses) info.label_names.push_back(std::to_string(c));
  DatasetWriter writer(options.output, info);
  Progress progress("convert gtsrb8", static_cast<int64_t>(items.size()), "images",
                    options.show_progress);
  for (const auto& item : items) {
    const Image image = load_image(item.path.string(), 3);
    DTI_CHECK(
        item.row.class_id < 0 || (image.width == item.row.width && image.height == item.row.height),
        "gtsrb8: '", item.path.string(), "' is ", image.width, "x", image.height,
        " but its annotation says ", item.row.width, "x", item.row.height, " (corrupt file?)");
    Sample s;
    s.image = resize_bilinear(image, kGtsrbSize, kGtsrbSize).pixels;
    s.label = item.label;
    writer.append(s);
    ++summary.read;
    ++summary.written;
    progress.update(summary.written);
  }
  progress.finish(summary.written);
  if (summary.written != kGtsrbExpected && options.limit == 0) {
    summary.notes.push_back(detail::concat("GTSRB-8 has ", kGtsrbExpected,
                                           " images in the full training set; converted ",
                                           summary.written));
  }
  writer.set_provenance(converter_provenance(
      "gtsrb8", {digest_files(root.string(), used)},
      "\"classes\":[3,7,9,11,17,18,25,35],\"resize\":\"bilinear (Pillow BILINEAR, bit-exact) to "
      "28x28, whole image\""));
  writer.finish();
  return summary;
}

ConvertSummary convert_weizmann_horse(const ConvertOptions& options) {
  options.validate("weizmann_horse");
  DTI_CHECK(options.inputs.size() == 1, "weizmann_horse: expected one --input folder, got ",
            options.inputs.size());
  const std::string& input = options.inputs.front();
  reject_archive("weizmann_horse", input);
  const fs::path root(input);
  const fs::path rgb = root / "rgb", masks = root / "figure_ground";
  DTI_CHECK(fs::is_directory(rgb) && fs::is_directory(masks), "weizmann_horse: '", input,
            "' must hold the folders rgb/ and figure_ground/ of the Weizmann Horse database");
  const auto images = sorted_files(rgb, [](const fs::path& p) { return is_image_file(p); });
  DTI_CHECK(!images.empty(), "weizmann_horse: no images in '", rgb.string(), "'");
  std::vector<std::string> used;
  for (const auto& image : images) {
    const fs::path mask = masks / image.filename();
    DTI_CHECK(fs::exists(mask), "weizmann_horse: '", image.string(), "' has no mask '",
              mask.string(), "'");
    used.push_back("rgb/" + image.filename().string());
    used.push_back("figure_ground/" + image.filename().string());
  }
  DatasetInfo info;
  info.name = "weizmann_horse";
  info.height = kHorseSize;
  info.width = kHorseSize;
  info.has_instance_masks = true;
  info.has_semantic_masks = true;
  info.num_classes = 1;
  info.max_objects = 1;
  info.label_names = {"horse"};
  DatasetWriter writer(options.output, info);
  ConvertSummary summary;
  const auto count = options.limit > 0
                         ? std::min<int64_t>(options.limit, static_cast<int64_t>(images.size()))
                         : static_cast<int64_t>(images.size());
  Progress progress("convert weizmann_horse", count, "images", options.show_progress);
  for (int64_t i = 0; i < count; ++i) {
    const fs::path& file = images[static_cast<size_t>(i)];
    Image mask = load_image((masks / file.filename()).string(), 1);
    for (auto& v : mask.pixels) v = v >= kMaskThreshold ? 1 : 0;
    mask = resize_nearest(mask, kHorseSize, kHorseSize);
    Sample s;
    s.image = resize_bilinear(load_image(file.string(), 3), kHorseSize, kHorseSize).pixels;
    s.instance_mask = mask.pixels;
    s.semantic_mask = mask.pixels;
    writer.append(s);
    ++summary.read;
    ++summary.written;
    progress.update(summary.written);
  }
  progress.finish(summary.written);
  if (summary.written != kHorseExpected && options.limit == 0) {
    summary.notes.push_back(detail::concat("the Weizmann Horse database has ", kHorseExpected,
                                           " images (the paper reports 327); converted ",
                                           summary.written));
  }
  used.resize(static_cast<size_t>(2 * count));
  writer.set_provenance(converter_provenance(
      "weizmann_horse", {digest_files(root.string(), used)},
      "\"resize\":\"image bilinear (Pillow BILINEAR, bit-exact), mask thresholded at 128 then "
      "nearest, to 128x128\""));
  writer.finish();
  return summary;
}

}  // namespace dti::datasets
