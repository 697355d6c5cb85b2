#pragma once
// Helpers shared by the image-folder converters (internal to datasets/).
#include <filesystem>
#include <string>

namespace dti::datasets::image_folders {

/// Whether `path` has the extension of an image format load_image reads.
bool is_image_file(const std::filesystem::path& path);

/// Throws dti::Error naming the command that extracts `path` when it is an archive
/// (.zip, .tar, .tar.gz, .tgz); `converter` names the caller in the message.
void reject_archive(const std::string& converter, const std::string& path);

}  // namespace dti::datasets::image_folders
