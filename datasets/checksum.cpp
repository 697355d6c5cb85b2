#include "datasets/checksum.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "base/error.h"

namespace dti::datasets {
namespace {

std::string hash_file(const std::filesystem::path& path, int64_t& bytes, int64_t before,
                      const BytesCallback& on_bytes) {
  std::ifstream in(path, std::ios::binary);
  DTI_CHECK(in.good(), "cannot read input file '", path.string(), "'");
  Sha256 sha;
  std::vector<char> buffer(1 << 20);
  bytes = 0;
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    sha.update(buffer.data(), static_cast<size_t>(got));
    bytes += got;
    if (on_bytes) on_bytes(before + bytes);
  }
  DTI_CHECK(in.eof(), "error while reading input file '", path.string(), "'");
  return sha.hex_digest();
}

}  // namespace

InputDigest digest_files(const std::string& root, const std::vector<std::string>& relative_paths,
                         const BytesCallback& on_bytes) {
  std::vector<std::string> sorted = relative_paths;
  std::sort(sorted.begin(), sorted.end());
  InputDigest out;
  out.path = root;
  out.directory = true;
  out.files = static_cast<int64_t>(sorted.size());
  Sha256 folder;
  for (const auto& rel : sorted) {
    int64_t bytes = 0;
    const std::string file_digest =
        hash_file(std::filesystem::path(root) / rel, bytes, out.bytes, on_bytes);
    out.bytes += bytes;
    folder.update(rel);
    folder.update("\0", 1);
    folder.update(file_digest + "\n");
  }
  out.sha256 = folder.hex_digest();
  return out;
}

InputDigest digest_input(const std::string& path, const BytesCallback& on_bytes) {
  namespace fs = std::filesystem;
  DTI_CHECK(fs::exists(path), "input '", path, "' does not exist");
  if (!fs::is_directory(path)) {
    InputDigest out;
    out.path = path;
    out.sha256 = hash_file(path, out.bytes, 0, on_bytes);
    return out;
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), path).generic_string());
  }
  return digest_files(path, files, on_bytes);
}

}  // namespace dti::datasets
