#include "tests/support/golden_h5.h"

#include <hdf5.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace dti::test {
namespace {

std::string object_path(const std::string& group, const std::string& name) {
  return group.empty() ? "/" + name : "/" + group + "/" + name;
}

// Closes an HDF5 handle with the matching function when it leaves scope.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  ~Handle() {
    if (id >= 0) close(id);
  }
};

template <typename T>
Array<T> read_dataset(hid_t file, const std::string& path, const std::string& where,
                      hid_t mem_type) {
  if (H5Lexists(file, path.c_str(), H5P_DEFAULT) <= 0) {
    throw std::runtime_error(where + ": no dataset " + path);
  }
  Handle ds{H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose};
  if (ds.id < 0) throw std::runtime_error(where + ": cannot open dataset " + path);
  Handle space{H5Dget_space(ds.id), H5Sclose};
  const int rank = H5Sget_simple_extent_ndims(space.id);
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
  Array<T> out;
  int64_t n = 1;
  for (hsize_t d : dims) {
    out.shape.push_back(static_cast<int64_t>(d));
    n *= static_cast<int64_t>(d);
  }
  out.values.resize(static_cast<size_t>(n));
  if (n > 0 && H5Dread(ds.id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.values.data()) < 0) {
    throw std::runtime_error(where + ": cannot read dataset " + path);
  }
  return out;
}

}  // namespace

std::string golden_dir() {
  const char* env = std::getenv("DTI_GOLDEN_DIR");
  if (env != nullptr && *env != '\0') return env;
  return DTI_DEFAULT_GOLDEN_DIR;
}

std::string fixtures_dir() { return DTI_FIXTURES_DIR; }

std::string golden_path(const std::string& file_name) {
  const std::string path = golden_dir() + "/" + file_name;
  if (!std::ifstream(path).good()) {
    throw std::runtime_error("golden file " + path + " not found: copy it from ../shared/golden " +
                             "or point DTI_GOLDEN_DIR at a directory holding " + file_name);
  }
  return path;
}

GoldenFile::GoldenFile(const std::string& path) : path_(path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported by our exceptions
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) throw std::runtime_error("cannot open " + path + " as an HDF5 file");
}

GoldenFile::~GoldenFile() {
  if (file_ >= 0) H5Fclose(file_);
}

std::vector<std::string> GoldenFile::cases() const {
  std::vector<std::string> names;
  H5Literate(
      file_, H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
        std::string s(name);
        if (s.rfind("case_", 0) == 0) static_cast<std::vector<std::string>*>(data)->push_back(s);
        return 0;
      },
      &names);
  std::sort(names.begin(), names.end());
  return names;
}

bool GoldenFile::has_dataset(const std::string& group, const std::string& name) const {
  return H5Lexists(file_, object_path(group, name).c_str(), H5P_DEFAULT) > 0;
}

bool GoldenFile::has_attribute(const std::string& group, const std::string& name) const {
  return H5Aexists_by_name(file_, group.empty() ? "/" : ("/" + group).c_str(), name.c_str(),
                           H5P_DEFAULT) > 0;
}

Array<float> GoldenFile::read_float(const std::string& group, const std::string& name) const {
  return read_dataset<float>(file_, object_path(group, name), path_, H5T_NATIVE_FLOAT);
}

Array<double> GoldenFile::read_double(const std::string& group, const std::string& name) const {
  return read_dataset<double>(file_, object_path(group, name), path_, H5T_NATIVE_DOUBLE);
}

Array<int64_t> GoldenFile::read_int64(const std::string& group, const std::string& name) const {
  return read_dataset<int64_t>(file_, object_path(group, name), path_, H5T_NATIVE_INT64);
}

namespace {
hid_t open_attribute(hid_t file, const std::string& path, const std::string& group,
                     const std::string& name) {
  const std::string obj = group.empty() ? "/" : "/" + group;
  if (H5Aexists_by_name(file, obj.c_str(), name.c_str(), H5P_DEFAULT) <= 0) {
    throw std::runtime_error(path + ": no attribute '" + name + "' on " + obj);
  }
  return H5Aopen_by_name(file, obj.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT);
}
}  // namespace

std::string GoldenFile::attr_string(const std::string& group, const std::string& name) const {
  Handle attr{open_attribute(file_, path_, group, name), H5Aclose};
  Handle type{H5Aget_type(attr.id), H5Tclose};
  if (H5Tget_class(type.id) != H5T_STRING) {
    throw std::runtime_error(path_ + ": attribute '" + name + "' is not a string");
  }
  if (H5Tis_variable_str(type.id) > 0) {
    char* buf = nullptr;
    H5Aread(attr.id, type.id, &buf);
    std::string s = buf ? buf : "";
    H5free_memory(buf);
    return s;
  }
  std::string s(H5Tget_size(type.id), '\0');
  H5Aread(attr.id, type.id, s.data());
  s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
  return s;
}

int64_t GoldenFile::attr_int(const std::string& group, const std::string& name) const {
  Handle attr{open_attribute(file_, path_, group, name), H5Aclose};
  int64_t v = 0;
  if (H5Aread(attr.id, H5T_NATIVE_INT64, &v) < 0) {
    throw std::runtime_error(path_ + ": attribute '" + name + "' is not an integer");
  }
  return v;
}

double GoldenFile::attr_double(const std::string& group, const std::string& name) const {
  Handle attr{open_attribute(file_, path_, group, name), H5Aclose};
  double v = 0;
  if (H5Aread(attr.id, H5T_NATIVE_DOUBLE, &v) < 0) {
    throw std::runtime_error(path_ + ": attribute '" + name + "' is not a number");
  }
  return v;
}

}  // namespace dti::test
