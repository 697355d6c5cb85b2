// SVHN cropped digits (http://ufldl.stanford.edu/housenumbers/): MATLAB files train_32x32.mat,
// test_32x32.mat and extra_32x32.mat, each with `X` uint8 [32,32,3,N] (rows, columns, channels,
// images; column-major) and `y` [N,1] with digits 1..10, where 10 stands for 0 (torchvision's
// reading). Read with matio.

#include <matio.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>

#include "base/error.h"
#include "datasets/checksum.h"
#include "datasets/convert.h"
#include "datasets/dataset_file.h"
#include "datasets/progress.h"
#include "datasets/provenance.h"

namespace dti::datasets {
namespace {

constexpr int64_t kSvhnSize = 32;

struct MatCloser {
  void operator()(mat_t* mat) const { Mat_Close(mat); }
};
struct VarFreer {
  void operator()(matvar_t* var) const { Mat_VarFree(var); }
};
using MatFile = std::unique_ptr<mat_t, MatCloser>;
using MatVar = std::unique_ptr<matvar_t, VarFreer>;

std::string dims_text(const matvar_t* var) {
  std::string out = "[";
  for (int i = 0; i < var->rank; ++i) out += (i ? "," : "") + std::to_string(var->dims[i]);
  return out + "]";
}

// Value `i` of a real numeric MATLAB array, as a double.
double numeric_at(const matvar_t* var, size_t i) {
  switch (var->class_type) {
    case MAT_C_DOUBLE:
      return static_cast<const double*>(var->data)[i];
    case MAT_C_SINGLE:
      return static_cast<const float*>(var->data)[i];
    case MAT_C_INT8:
      return static_cast<const int8_t*>(var->data)[i];
    case MAT_C_UINT8:
      return static_cast<const uint8_t*>(var->data)[i];
    case MAT_C_INT16:
      return static_cast<const int16_t*>(var->data)[i];
    case MAT_C_UINT16:
      return static_cast<const uint16_t*>(var->data)[i];
    case MAT_C_INT32:
      return static_cast<const int32_t*>(var->data)[i];
    case MAT_C_UINT32:
      return static_cast<const uint32_t*>(var->data)[i];
    case MAT_C_INT64:
      return static_cast<double>(static_cast<const int64_t*>(var->data)[i]);
    case MAT_C_UINT64:
      return static_cast<double>(static_cast<const uint64_t*>(var->data)[i]);
    default:
      throw Error("unsupported MATLAB class");
  }
}

// The part name of an SVHN file: "train_32x32.mat" -> "train".
std::string part_name(const std::string& path) {
  const std::string stem = std::filesystem::path(path).stem().string();
  return stem.substr(0, stem.find('_'));
}

// matio prints its own diagnostics to stderr; errors here become exceptions instead.
void quiet_log(int /*level*/, char* /*message*/) {}

MatVar read_variable(mat_t* mat, const std::string& path, const char* name) {
  MatVar info(Mat_VarReadInfo(mat, name));
  DTI_CHECK(info != nullptr, path, ": no variable '", name,
            "'; expected SVHN's cropped-digits format (X [32,32,3,N] uint8, y [N,1])");
  MatVar var(Mat_VarRead(mat, name));
  DTI_CHECK(var != nullptr && var->data != nullptr, path, ": variable '", name,
            "' is unreadable (truncated or corrupt file?)");
  return var;
}

// A MAT v4 file (no 128-byte header ending in "IM" or "MI") is a run of variables: a 20-byte
// header of int32s in the file's byte order (type MOPT, rows, columns, imaginary flag, name
// length), the name, then the data. matio allocates and fills the name length a header claims
// before checking it against the file (1.85 GB and 5 s for an 8 KB file; found by
// tests/fuzz/svhn_mat_fuzzer.cpp, regress_v4_name_1850mb.mat), so the claims are checked here
// first. Returns what is wrong, or "" (also for headers matio refuses by itself).
std::string mat4_size_problem(const std::string& path) {
  const uint64_t size = std::filesystem::file_size(path);
  std::ifstream in(path, std::ios::binary);
  char marker[2] = {};
  if (size >= 128 && in.seekg(126) && in.read(marker, 2) &&
      (std::memcmp(marker, "IM", 2) == 0 || std::memcmp(marker, "MI", 2) == 0)) {
    return "";  // MAT v5 or v7.3: matio reads their sizes itself
  }
  constexpr uint64_t kElementBytes[] = {8, 4, 4, 2, 2, 1};  // P: double … uint8
  // MOPT read in the file's byte order is at most 4052 (M ≤ 4, O = 0, P ≤ 5, T ≤ 2).
  const auto type_fits = [](int32_t type) { return type >= 0 && type <= 4052; };
  for (uint64_t pos = 0; pos + 20 <= size;) {
    int32_t h[5];
    if (!in.seekg(static_cast<std::streamoff>(pos)) || !in.read(reinterpret_cast<char*>(h), 20)) {
      return "";
    }
    if (!type_fits(h[0])) {  // the other byte order
      for (auto& v : h) v = static_cast<int32_t>(__builtin_bswap32(static_cast<uint32_t>(v)));
    }
    const int32_t precision = h[0] % 100 / 10;
    if (!type_fits(h[0]) || precision > 5) return "";  // matio refuses it
    if (h[1] < 0 || h[2] < 0 || h[4] < 0) {
      return detail::concat("variable at byte ", pos, " has negative sizes");
    }
    const uint64_t data = static_cast<uint64_t>(h[1]) * static_cast<uint64_t>(h[2]) *
                          kElementBytes[precision] * (h[3] != 0 ? 2 : 1);
    const uint64_t left = size - pos - 20;
    if (static_cast<uint64_t>(h[4]) > left || data > left - static_cast<uint64_t>(h[4])) {
      return detail::concat("variable at byte ", pos, " claims a ", h[4], "-byte name and ", data,
                            " bytes of data, but ", left, " bytes follow its header");
    }
    pos += 20 + static_cast<uint64_t>(h[4]) + data;
  }
  return "";
}

}  // namespace

ConvertSummary convert_svhn(const ConvertOptions& options) {
  options.validate("svhn");
  std::vector<std::string> parts;
  for (const auto& input : options.inputs) {
    const std::string part = part_name(input);
    DTI_CHECK(std::find(parts.begin(), parts.end(), part) == parts.end(), "svhn: two inputs are ",
              "called '", part, "'; give each of train, test and extra once");
    parts.push_back(part);
  }
  DatasetInfo info;
  info.name = "svhn";
  info.height = kSvhnSize;
  info.width = kSvhnSize;
  info.has_labels = true;
  info.num_classes = 10;
  for (int d = 0; d < 10; ++d) info.label_names.push_back(std::to_string(d));
  if (parts.size() > 1) {
    info.part_names = parts;
    // The paper trains on train+test+extra but evaluates clustering on train+test (99,289 images).
    for (const auto& p : parts) {
      if (p != "extra") info.clustering_parts.push_back(p);
    }
    if (info.clustering_parts.size() == parts.size() || info.clustering_parts.empty()) {
      info.clustering_parts.clear();
    }
  }
  Mat_LogInitFunc("dtisprites", quiet_log);
  DatasetWriter writer(options.output, info);
  ConvertSummary summary;
  std::vector<InputDigest> digests;
  for (size_t part = 0; part < options.inputs.size(); ++part) {
    const std::string& path = options.inputs[part];
    DTI_CHECK(std::filesystem::is_regular_file(path), "svhn: input '", path,
              "' is not a file; expected e.g. train_32x32.mat");
    const std::string problem = mat4_size_problem(path);
    DTI_CHECK(problem.empty(), "svhn: '", path, "' is a truncated or corrupt MATLAB v4 file (",
              problem, "); SVHN's files are MATLAB v5: download them again");
    MatFile mat(Mat_Open(path.c_str(), MAT_ACC_RDONLY));
    DTI_CHECK(mat != nullptr, "svhn: '", path, "' is not a MATLAB .mat file");
    MatVar x = read_variable(mat.get(), path, "X");
    DTI_CHECK(x->class_type == MAT_C_UINT8 && x->rank == 4 && x->dims[0] == kSvhnSize &&
                  x->dims[1] == kSvhnSize && x->dims[2] == 3 && !x->isComplex,
              "svhn: '", path, "': X expected uint8 [32,32,3,N], got class ", x->class_type, " ",
              dims_text(x.get()));
    const size_t n = x->dims[3];
    MatVar y = read_variable(mat.get(), path, "y");
    DTI_CHECK(y->rank == 2 && y->dims[0] * y->dims[1] == n && !y->isComplex &&
                  y->class_type >= MAT_C_DOUBLE && y->class_type <= MAT_C_UINT64,
              "svhn: '", path, "': y expected numeric [", n, ",1], got ", dims_text(y.get()));
    const auto* pixels = static_cast<const uint8_t*>(x->data);
    Progress progress("convert svhn (" + parts[part] + ")", static_cast<int64_t>(n), "images",
                      options.show_progress);
    constexpr size_t plane = kSvhnSize * kSvhnSize;
    int64_t written_here = 0;
    for (size_t i = 0; i < n; ++i) {
      if (options.limit > 0 && summary.written >= options.limit) break;
      const double raw = numeric_at(y.get(), i);
      DTI_CHECK(raw >= 1 && raw <= 10 && raw == static_cast<int>(raw), "svhn: '", path,
                "': label of image ", i, " is ", raw, " (expected 1..10, 10 meaning 0)");
      Sample s;
      s.label = static_cast<int64_t>(raw) % 10;
      s.part = static_cast<int64_t>(part);
      s.image.resize(plane * 3);
      const uint8_t* image = pixels + i * plane * 3;
      // Column-major X[row, column, channel] -> row-major [row, column, channel].
      for (size_t c = 0; c < 3; ++c) {
        for (size_t col = 0; col < kSvhnSize; ++col) {
          for (size_t row = 0; row < kSvhnSize; ++row) {
            s.image[(row * kSvhnSize + col) * 3 + c] = image[c * plane + col * kSvhnSize + row];
          }
        }
      }
      writer.append(s);
      ++summary.read;
      ++summary.written;
      ++written_here;
      progress.update(written_here);
    }
    progress.finish(written_here);
    digests.push_back(digest_input(path));
  }
  DTI_CHECK(summary.written > 0, "svhn: the inputs hold no images; nothing written");
  writer.set_provenance(converter_provenance("svhn", digests));
  writer.finish();
  return summary;
}

}  // namespace dti::datasets
