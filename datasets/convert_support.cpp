// Helpers shared by the image-folder converters (convert_images.cpp, convert_folder.cpp).
#include "datasets/convert_support.h"

#include <set>

#include "base/error.h"
#include "base/strings.h"

namespace dti::datasets::image_folders {

bool is_image_file(const std::filesystem::path& path) {
  static const std::set<std::string> extensions = {".png", ".jpg", ".jpeg", ".ppm", ".pgm",
                                                   ".pnm", ".bmp", ".tga",  ".gif"};
  return extensions.count(to_lower(path.extension().string())) > 0;
}

// Refuses an archive with the command that extracts it.
void reject_archive(const std::string& converter, const std::string& path) {
  const std::string name = to_lower(path);
  const auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".zip")) {
    throw Error(detail::concat(converter, ": '", path, "' is an archive; extract it first (unzip ",
                               path, ") and pass the extracted folder"));
  }
  if (ends_with(".tar.gz") || ends_with(".tgz") || ends_with(".tar")) {
    throw Error(detail::concat(converter, ": '", path, "' is an archive; extract it first (tar xf ",
                               path, ") and pass the extracted folder"));
  }
}

}  // namespace dti::datasets::image_folders
