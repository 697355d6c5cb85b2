#include "datasets/export_authors.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "base/error.h"
#include "datasets/dataset_file.h"
#include "datasets/image_io.h"
#include "datasets/progress.h"

namespace dti::datasets {
namespace {

namespace fs = std::filesystem;

// Removes the half-written folder unless the export completed (interruptions and write errors
// unwind through here).
class TemporaryFolder {
 public:
  explicit TemporaryFolder(fs::path path) : path_(std::move(path)) {}
  ~TemporaryFolder() {
    if (path_.empty()) return;
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const fs::path& path() const { return path_; }
  // Renames to `target`; from then on nothing is removed.
  void commit(const fs::path& target) {
    std::error_code error;
    fs::rename(path_, target, error);
    DTI_CHECK(!error, "cannot rename '", path_.string(), "' to '", target.string(),
              "': ", error.message());
    path_.clear();
  }

 private:
  fs::path path_;
};

// An image of the file's size: RGB (3 channels), or an 8-bit grey PNG holding label values as
// they are (1 channel, no scaling: the authors' loader multiplies ToTensor's value/255 by 255).
Image file_image(const DatasetInfo& info, std::vector<uint8_t> pixels, int64_t channels) {
  Image image;
  image.height = info.height;
  image.width = info.width;
  image.channels = channels;
  image.pixels = std::move(pixels);
  return image;
}

void check_exportable(const DatasetReader& reader) {
  const DatasetInfo& info = reader.info();
  if (info.has_instance_masks && info.has_semantic_masks) return;
  const char* missing = info.has_instance_masks   ? "semantic masks"
                        : info.has_semantic_masks ? "instance masks"
                                                  : "instance and semantic masks";
  throw Error(detail::concat(
      "export: ", reader.path(), " (", info.name, ") has no ", missing,
      "; the authors' multi-object layout (images/, masks/, sem_masks/) needs both. Export a "
      "multi-object dataset file (tetrominoes, multi_dsprites, clevr6)"));
}

}  // namespace

std::string authors_folder_name(const std::string& dataset_name) {
  if (dataset_name == "multi_dsprites") return "dsprites_gray";
  return dataset_name;
}

AuthorsExportSummary export_authors_png(const AuthorsExportOptions& options) {
  DTI_CHECK(options.limit >= 0, "export: --limit must be >= 0, got ", options.limit);
  const DatasetReader reader(options.input);
  check_exportable(reader);
  const DatasetInfo& info = reader.info();
  const std::string name = options.folder.empty() ? authors_folder_name(info.name) : options.folder;
  const fs::path target = fs::path(options.out_root) / name;
  DTI_CHECK(!fs::exists(target), "export: ", target.string(),
            " already exists; remove it or choose another --out (an export never merges into an "
            "existing folder)");
  fs::create_directories(options.out_root);
  TemporaryFolder temp(fs::path(options.out_root) /
                       ("." + name + ".partial-" + std::to_string(::getpid())));
  for (const char* sub : {"images", "masks", "sem_masks"}) {
    fs::create_directories(temp.path() / sub);
  }

  const int64_t count = options.limit > 0 ? std::min(options.limit, info.size) : info.size;
  Progress progress("export " + name, count, "images", options.show_progress);
  for (int64_t i = 0; i < count; ++i) {
    Sample sample = reader.read(i);
    const std::string file = std::to_string(i) + ".png";
    write_png((temp.path() / "images" / file).string(),
              file_image(info, std::move(sample.image), 3));
    write_png((temp.path() / "masks" / file).string(),
              file_image(info, std::move(sample.instance_mask), 1));
    write_png((temp.path() / "sem_masks" / file).string(),
              file_image(info, std::move(sample.semantic_mask), 1));
    progress.update(i + 1);
  }
  progress.finish(count);
  temp.commit(target);
  return {target.string(), count};
}

}  // namespace dti::datasets
