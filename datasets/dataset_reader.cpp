// The dataset file reader (datasets/FORMAT.md): refuses old, foreign, damaged or inconsistent
// files before returning anything, naming the file and the command that makes it again.
#include "datasets/dataset_file.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/strings.h"
#include "datasets/catalogue.h"
#include "datasets/dataset_digest.h"
#include "datasets/h5_util.h"

namespace dti::datasets {
namespace {

namespace fs = std::filesystem;
using h5::Handle;

// N of a `<name>_n<N>.h5` file (how runexp names generated sets of another size), else 0.
int64_t count_in_file_name(const std::string& path, const std::string& name) {
  const std::string stem = fs::path(path).stem().string();
  const std::string prefix = name + "_n";
  if (stem.size() <= prefix.size() || stem.compare(0, prefix.size(), prefix) != 0) return 0;
  const std::string digits = stem.substr(prefix.size());
  if (digits.size() > 12 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoll(digits);
}

// The catalogue name a file stem stands for: `<name>` or `<name>_n<N>`; "" when none.
std::string name_of_stem(const std::string& path) {
  const std::string stem = fs::path(path).stem().string();
  for (const std::string& known : known_dataset_names()) {
    if (stem == known || count_in_file_name(path, known) > 0) return known;
  }
  return "";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Reader

struct DatasetReader::Impl {
  std::string path;
  std::string remedy;  // what to run to make a good file
  DatasetInfo info;
  Handle file, images, instance, semantic;
  std::vector<int64_t> labels;
  std::vector<uint8_t> parts;
  std::vector<uint32_t> checksums;  // [N,3] (dataset_digest.h); empty for version 1 files
  std::string name;                 // catalogue name the file should hold ("" when unknown)

  [[noreturn]] void bad(const std::string& what) const {
    throw Error(detail::concat("dataset file '", path, "': ", what, ". ", damaged_remedy()));
  }

  // An h5:: helper's error already names the file ("dataset file '<path>': ..."): keep one.
  [[noreturn]] void bad(const Error& e) const {
    std::string what = e.what();
    const std::string prefix = "dataset file '" + path + "': ";
    if (what.rfind(prefix, 0) == 0) what.erase(0, prefix.size());
    bad(what);
  }

  // What re-creates the file that was there: a generated file is made again with its own size
  // (from its `<name>_n<count>.h5` name, else its header), never the catalogue's default.
  std::string damaged_remedy() const {
    // The file's own `dataset` attribute, once read, names it when its path does not.
    const std::string& known = name.empty() ? info.name : name;
    const DatasetEntry* entry = known.empty() ? nullptr : find_dataset(known);
    if (entry == nullptr || !entry->generated()) return "Re-create it with: " + remedy;
    int64_t count = count_in_file_name(path, known);
    if (count <= 0) count = info.size;
    const std::string deleted = "delete it: runexp generates a missing " + known +
                                " file again, with the size its configuration asks for";
    if (count <= 0) return "Re-create it: " + deleted;
    return "Re-create it with: " + make_command(known, path, count) + " (or " + deleted + ")";
  }

  Handle open_array(const char* name, bool required) {
    if (H5Lexists(file.get(), name, H5P_DEFAULT) <= 0) {
      if (required) bad(detail::concat("no '", name, "' array"));
      return Handle();
    }
    Handle ds(H5Dopen2(file.get(), name, H5P_DEFAULT), H5Dclose);
    if (!ds.valid()) bad(detail::concat("cannot open '", name, "' (", h5::last_error(), ")"));
    return ds;
  }

  // Checks element type and shape of an array against the layout.
  void check_array(hid_t ds, const char* name, const char* type, std::vector<int64_t> expected) {
    Handle t(H5Dget_type(ds), H5Tclose);
    const std::string found_type = h5::type_name(t.get());
    const std::vector<int64_t> found = h5::dims(ds);
    const auto shape = [](const std::vector<int64_t>& d) {
      std::string s = "[";
      for (size_t i = 0; i < d.size(); ++i) {
        s += (i ? "," : "") + (d[i] < 0 ? std::string("?") : std::to_string(d[i]));
      }
      return s + "]";
    };
    bool shape_ok = found.size() == expected.size();
    for (size_t i = 0; shape_ok && i < found.size(); ++i) {
      shape_ok = expected[i] < 0 || expected[i] == found[i];
    }
    if (found_type != type || !shape_ok) {
      bad(detail::concat("'", name, "' expected ", type, " ", shape(expected), ", got ", found_type,
                         " ", shape(found)));
    }
  }

  void read_item(hid_t ds, const char* name, int64_t index, uint8_t* out, int column) const {
    DTI_CHECK(index >= 0 && index < info.size, "dataset file '", path, "': ", name, " index ",
              index, " outside 0..", info.size - 1);
    h5::silence_errors();
    std::vector<int64_t> d = h5::dims(ds);
    std::vector<hsize_t> start(d.size(), 0), count(d.begin(), d.end());
    start[0] = static_cast<hsize_t>(index);
    count[0] = 1;
    Handle file_space(H5Dget_space(ds), H5Sclose);
    H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(),
                        nullptr);
    // A memory space of the same shape as the selection keeps HDF5 on its fast path (a flat one
    // makes it map every element separately: 4x slower).
    Handle mem_space(H5Screate_simple(static_cast<int>(count.size()), count.data(), nullptr),
                     H5Sclose);
    if (H5Dread(ds, H5T_NATIVE_UINT8, mem_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
      bad(detail::concat(name, " ", index, " is corrupt or truncated (HDF5: ", h5::last_error(),
                         ")"));
    }
    if (checksums.empty()) return;
    const size_t bytes =
        static_cast<size_t>(column == kImageChecksum ? info.image_numel() : info.mask_numel());
    if (item_checksum(index, out, bytes) !=
        checksums[static_cast<size_t>(index * kChecksumColumns + column)]) {
      bad(detail::concat(
          name, " ", index,
          " does not match its checksum: the file is damaged (a chunk or its index)"));
    }
  }

  void verify_content();

  void open();
  void read_attributes();
  void read_vectors(bool has_parts);
};

void DatasetReader::Impl::open() {
  h5::silence_errors();
  std::error_code error;
  if (!fs::exists(path, error)) {
    throw Error(detail::concat("dataset file '", path, "' does not exist. Make it with: ", remedy));
  }
  if (fs::is_directory(path, error)) {
    bad("is a folder, not an HDF5 dataset file");
  }
  file = Handle(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) {
    const std::string reason = h5::last_error();
    std::array<char, 8> signature{};
    std::ifstream in(path, std::ios::binary);
    in.read(signature.data(), signature.size());
    const bool hdf5 =
        in.gcount() == 8 && std::memcmp(signature.data(), "\x89HDF\r\n\x1a\n", 8) == 0;
    if (hdf5) bad("is truncated or corrupt (HDF5: " + reason + ")");
    bad("is not an HDF5 file");
  }
  // Before any header or attribute is decoded: libhdf5 parses the old format's unchecksummed
  // headers as they stand and can read past its buffers on a damaged one (found by fuzzing).
  const int superblock = h5::superblock_version(file.get());
  if (superblock < 2) {
    bad(detail::concat("is in HDF5's old file format (superblock version ", superblock,
                       "), whose headers and attributes carry no checksums: dataset format 1 "
                       "or 2 of an older dtisprites, or not a dtisprites file. This build "
                       "reads format ",
                       kFormatVersion,
                       " only, written so that libhdf5 verifies every header "
                       "before it decodes it"));
  }
  read_attributes();
  images = open_array("images", true);
  const std::vector<int64_t> image_dims = h5::dims(images.get());
  check_array(images.get(), "images", "uint8", {-1, -1, -1, 3});
  info.size = image_dims[0];
  info.height = image_dims[1];
  info.width = image_dims[2];
  if (info.size == 0) bad("holds no images");
  const int64_t n = info.size, h = info.height, w = info.width;
  instance = open_array("instance_masks", false);
  if (instance.valid()) check_array(instance.get(), "instance_masks", "uint8", {n, h, w});
  semantic = open_array("semantic_masks", false);
  if (semantic.valid()) check_array(semantic.get(), "semantic_masks", "uint8", {n, h, w});
  info.has_instance_masks = instance.valid();
  info.has_semantic_masks = semantic.valid();
  read_vectors(!info.part_names.empty());
  if ((info.has_labels || info.has_semantic_masks) && info.num_classes < 1) {
    bad(detail::concat("num_classes = ", info.num_classes,
                       " but the file has labels or semantic masks"));
  }
  if (info.has_instance_masks && info.max_objects < 1) {
    bad(detail::concat("max_objects = ", info.max_objects, " but the file has instance masks"));
  }
  verify_content();
}

// Everything the reader returns outside the pixels must match the writer's digest; the pixels
// are checked one item at a time against `checksums` in read_item() (dataset_digest.h).
void DatasetReader::Impl::verify_content() {
  Handle ds = open_array("checksums", true);
  check_array(ds.get(), "checksums", "uint32", {info.size, kChecksumColumns});
  checksums.resize(static_cast<size_t>(info.size * kChecksumColumns));
  if (H5Dread(ds.get(), H5T_NATIVE_UINT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, checksums.data()) < 0) {
    bad("'checksums' is corrupt or truncated (HDF5: " + h5::last_error() + ")");
  }
  std::string stored;
  try {
    stored = h5::read_string(file.get(), "content_sha256", "dataset file '" + path + "'");
  } catch (const Error& e) {
    bad(e);
  }
  if (stored != content_digest(info, labels, parts, checksums)) {
    bad("its content digest does not match: an attribute, the shape, a label or a checksum was "
        "damaged after writing");
  }
}

void DatasetReader::Impl::read_attributes() {
  const std::string where = "dataset file '" + path + "'";
  const hid_t root = file.get();
  if (!h5::has_attribute(root, "format") || h5::read_string(root, "format", where) != kFormatName) {
    bad(
        detail::concat("is an HDF5 file but not a dtisprites dataset (its root attribute 'format' "
                       "is not '",
                       kFormatName, "'; layout in datasets/FORMAT.md)"));
  }
  try {
    info.format_version = h5::read_int(root, "format_version", where);
  } catch (const Error& e) {
    bad(e);
  }
  if (info.format_version != kFormatVersion) {
    bad(detail::concat("unsupported format version ", info.format_version,
                       " (this build reads version ", kFormatVersion, " only; ",
                       info.format_version > kFormatVersion ? "a newer" : "an older",
                       " dtisprites wrote it)"));
  }
  try {
    info.name = h5::read_string(root, "dataset", where);
    info.num_classes = h5::read_int(root, "num_classes", where);
    info.max_objects = h5::read_int(root, "max_objects", where);
    info.provenance = h5::read_string(root, "provenance", where);
    if (h5::has_attribute(root, "label_names")) {
      info.label_names = h5::read_strings(root, "label_names", where);
    }
    if (h5::has_attribute(root, "part_names")) {
      info.part_names = h5::read_strings(root, "part_names", where);
    }
    if (h5::has_attribute(root, "clustering_parts")) {
      info.clustering_parts = h5::read_strings(root, "clustering_parts", where);
    }
  } catch (const Error& e) {
    bad(e);
  }
  if (info.num_classes < 0 || info.num_classes > 255 || info.max_objects < 0 ||
      info.max_objects > 255) {
    bad(detail::concat("num_classes = ", info.num_classes, ", max_objects = ", info.max_objects,
                       " (both must lie in 0..255)"));
  }
}

void DatasetReader::Impl::read_vectors(bool has_parts) {
  const int64_t n = info.size;
  Handle label_ds = open_array("labels", false);
  info.has_labels = label_ds.valid();
  if (label_ds.valid()) {
    check_array(label_ds.get(), "labels", "int64", {n});
    labels.resize(static_cast<size_t>(n));
    if (H5Dread(label_ds.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels.data()) <
        0) {
      bad("'labels' is corrupt or truncated (HDF5: " + h5::last_error() + ")");
    }
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = labels[static_cast<size_t>(i)];
      if (v < -1 || v >= info.num_classes) {
        bad(detail::concat("label of image ", i, " is ", v, ", outside -1..",
                           info.num_classes - 1));
      }
    }
  }
  Handle part_ds = open_array("parts", has_parts);
  if (part_ds.valid()) {
    check_array(part_ds.get(), "parts", "uint8", {n});
    parts.resize(static_cast<size_t>(n));
    if (H5Dread(part_ds.get(), H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, parts.data()) < 0) {
      bad("'parts' is corrupt or truncated (HDF5: " + h5::last_error() + ")");
    }
    for (uint8_t p : parts) {
      if (p >= info.part_names.size()) {
        bad(detail::concat("part index ", int{p}, " but only ", info.part_names.size(),
                           " part names"));
      }
    }
  }
}

DatasetReader::DatasetReader(const std::string& path, const std::string& expected_name)
    : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.path = path;
  std::string name = expected_name.empty() ? name_of_stem(path) : expected_name;
  m.name = name;
  m.remedy = make_command(name, path, count_in_file_name(path, name));
  m.open();
  if (!expected_name.empty() && m.info.name != expected_name) {
    m.bad(detail::concat("holds dataset '", m.info.name, "', expected '", expected_name, "'"));
  }
}

DatasetReader::~DatasetReader() = default;

const DatasetInfo& DatasetReader::info() const { return impl_->info; }
const std::string& DatasetReader::path() const { return impl_->path; }
const std::vector<int64_t>& DatasetReader::labels() const { return impl_->labels; }
const std::vector<uint8_t>& DatasetReader::parts() const { return impl_->parts; }

void DatasetReader::read_image(int64_t index, uint8_t* out) const {
  impl_->read_item(impl_->images.get(), "image", index, out, kImageChecksum);
}

void DatasetReader::read_instance_mask(int64_t index, uint8_t* out) const {
  DTI_CHECK(impl_->instance.valid(), "dataset file '", path(), "' has no instance masks");
  impl_->read_item(impl_->instance.get(), "instance mask", index, out, kInstanceChecksum);
}

void DatasetReader::read_semantic_mask(int64_t index, uint8_t* out) const {
  DTI_CHECK(impl_->semantic.valid(), "dataset file '", path(), "' has no semantic masks");
  impl_->read_item(impl_->semantic.get(), "semantic mask", index, out, kSemanticChecksum);
}

Sample DatasetReader::read(int64_t index) const {
  Sample s;
  s.image.resize(static_cast<size_t>(info().image_numel()));
  read_image(index, s.image.data());
  if (info().has_labels) s.label = impl_->labels[static_cast<size_t>(index)];
  if (info().has_instance_masks) {
    s.instance_mask.resize(static_cast<size_t>(info().mask_numel()));
    read_instance_mask(index, s.instance_mask.data());
  }
  if (info().has_semantic_masks) {
    s.semantic_mask.resize(static_cast<size_t>(info().mask_numel()));
    read_semantic_mask(index, s.semantic_mask.data());
  }
  if (!impl_->parts.empty()) s.part = impl_->parts[static_cast<size_t>(index)];
  return s;
}

}  // namespace dti::datasets
