// The converter for a user's own folder of images (`runexp data convert folder`): every image
// under the folder, labelled by a CSV, by sub-folder names, or not at all.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>

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

// Image files under `root`, relative to it and sorted, at most `limit` (0 = all).
std::vector<std::string> list_images(const fs::path& root, int64_t limit) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && is_image_file(entry.path())) {
      files.push_back(fs::relative(entry.path(), root).generic_string());
    }
  }
  std::sort(files.begin(), files.end());
  DTI_CHECK(!files.empty(), "folder: no image files (png, jpg, ppm, bmp, tga, gif) under '",
            root.string(), "'");
  if (limit > 0 && static_cast<int64_t>(files.size()) > limit) {
    files.resize(static_cast<size_t>(limit));
  }
  return files;
}

// The label name of each file from a 'relative/path,label' CSV ("" = no row: unlabelled).
std::vector<std::string> labels_from_csv(const ConvertOptions& options,
                                         const std::vector<std::string>& files,
                                         ConvertSummary* summary) {
  std::ifstream in(options.labels_csv);
  DTI_CHECK(in.good(), "folder: cannot read labels CSV '", options.labels_csv, "'");
  std::map<std::string, std::string> by_path;
  std::string line;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    const auto f = split(line, ',', /*trim=*/true);
    if (f.empty() || (f.size() == 1 && f[0].empty())) continue;
    DTI_CHECK(f.size() == 2, "folder: '", options.labels_csv, "' line ", number,
              " is not 'relative/path,label'");
    const std::string first = to_lower(f[0]);
    const bool header = number == 1 && (first == "path" || first == "file" || first == "filename");
    if (!header) by_path[f[0]] = f[1];
  }
  for (const auto& [path, label] : by_path) {
    DTI_CHECK(std::binary_search(files.begin(), files.end(), path) || options.limit > 0,
              "folder: '", options.labels_csv, "' names '", path,
              "', which is not an image under '", options.inputs.front(), "'");
  }
  std::vector<std::string> names(files.size());
  int64_t unlabelled = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    auto it = by_path.find(files[i]);
    if (it != by_path.end()) {
      names[i] = it->second;
    } else {
      ++unlabelled;
    }
  }
  if (unlabelled > 0) {
    summary->notes.push_back(detail::concat(unlabelled, " images have no row in ",
                                            options.labels_csv, " and are stored unlabelled"));
  }
  return names;
}

// The label name of each file from its sub-folder, when every file sits one folder deep.
std::vector<std::string> labels_from_subfolders(const std::vector<std::string>& files) {
  std::vector<std::string> names(files.size());
  const bool in_subfolders = std::all_of(files.begin(), files.end(), [](const std::string& f) {
    return std::count(f.begin(), f.end(), '/') == 1;
  });
  if (in_subfolders) {
    for (size_t i = 0; i < files.size(); ++i) names[i] = files[i].substr(0, files[i].find('/'));
  }
  return names;
}

// The distinct label names in label order: numeric names by value, others by name.
std::vector<std::string> label_order(const std::vector<std::string>& names) {
  std::set<std::string> distinct;
  for (const auto& n : names) {
    if (!n.empty()) distinct.insert(n);
  }
  std::vector<std::string> label_names(distinct.begin(), distinct.end());
  const bool numeric =
      std::all_of(label_names.begin(), label_names.end(), [](const std::string& n) {
        return !n.empty() && n.size() < 10 &&
               std::all_of(n.begin(), n.end(), [](unsigned char c) { return std::isdigit(c); });
      });
  if (numeric) {
    std::sort(
        label_names.begin(), label_names.end(),
        [](const std::string& a, const std::string& b) { return std::stoll(a) < std::stoll(b); });
  }
  DTI_CHECK(label_names.size() <= 255, "folder: ", label_names.size(),
            " distinct labels; at most 255 are supported");
  return label_names;
}

// Writes every image (resized to --size, or all of the first one's size) with its label.
void write_images(const ConvertOptions& options, const fs::path& root,
                  const std::vector<std::string>& files, const std::vector<std::string>& names,
                  const DatasetInfo& info, DatasetWriter* writer, ConvertSummary* summary) {
  Progress progress("convert folder", static_cast<int64_t>(files.size()), "images",
                    options.show_progress);
  const auto& label_names = info.label_names;
  for (size_t i = 0; i < files.size(); ++i) {
    Image image = load_image((root / files[i]).string(), 3);
    if (options.size > 0) {
      image = resize_bilinear(image, options.size, options.size);
    } else {
      DTI_CHECK(image.height == info.height && image.width == info.width, "folder: '", files[i],
                "' is ", image.width, "x", image.height, " but '", files.front(), "' is ",
                info.width, "x", info.height, "; pass --size N to resize every image to NxN");
    }
    Sample s;
    s.image = std::move(image.pixels);
    if (info.has_labels) {
      s.label = names[i].empty() ? -1
                                 : std::find(label_names.begin(), label_names.end(), names[i]) -
                                       label_names.begin();
    }
    writer->append(s);
    ++summary->read;
    ++summary->written;
    progress.update(summary->written);
  }
  progress.finish(summary->written);
}

}  // namespace

ConvertSummary convert_folder(const ConvertOptions& options) {
  options.validate("folder");
  DTI_CHECK(options.inputs.size() == 1, "folder: expected one --input folder, got ",
            options.inputs.size());
  const std::string& input = options.inputs.front();
  image_folders::reject_archive("folder", input);
  DTI_CHECK(fs::is_directory(input), "folder: input '", input, "' is not a folder");
  const fs::path root(input);
  const std::vector<std::string> files = list_images(root, options.limit);
  ConvertSummary summary;
  const std::vector<std::string> names = options.labels_csv.empty()
                                             ? labels_from_subfolders(files)
                                             : labels_from_csv(options, files, &summary);
  DatasetInfo info;
  info.name =
      root.filename().empty() ? root.parent_path().filename().string() : root.filename().string();
  const Image first = load_image((root / files.front()).string(), 3);
  info.height = options.size > 0 ? options.size : first.height;
  info.width = options.size > 0 ? options.size : first.width;
  info.label_names = label_order(names);
  info.has_labels = !info.label_names.empty();
  info.num_classes = static_cast<int64_t>(info.label_names.size());
  DatasetWriter writer(options.output, info);
  write_images(options, root, files, names, info, &writer, &summary);
  std::vector<InputDigest> digests{digest_files(root.string(), files)};
  if (!options.labels_csv.empty()) digests.push_back(digest_input(options.labels_csv));
  writer.set_provenance(converter_provenance(
      "folder", digests,
      std::string("\"labels_from\":") +
          (options.labels_csv.empty() ? (info.has_labels ? "\"sub-folders\"" : "null")
                                      : "\"csv\"") +
          ",\"resize\":" + (options.size > 0 ? std::to_string(options.size) : "null")));
  writer.finish();
  return summary;
}

}  // namespace dti::datasets
