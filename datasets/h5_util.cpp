#include "datasets/h5_util.h"

#include <algorithm>

#include "base/error.h"

namespace dti::datasets::h5 {
namespace {

herr_t keep_innermost(unsigned /*n*/, const H5E_error2_t* error, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (error->desc != nullptr && error->desc[0] != '\0') *out = error->desc;
  return 0;
}

Handle open_attribute(hid_t object, const std::string& name, const std::string& where) {
  DTI_CHECK(has_attribute(object, name), where, ": missing attribute '", name, "'");
  Handle attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose);
  DTI_CHECK(attr.valid(), where, ": cannot open attribute '", name, "' (", last_error(), ")");
  return attr;
}

// Reads `count` strings of the attribute's own string type into `out`.
void read_string_values(hid_t attr, hid_t type, size_t count, std::vector<std::string>& out,
                        const std::string& what) {
  out.clear();
  if (H5Tis_variable_str(type) > 0) {
    std::vector<char*> ptrs(count, nullptr);
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type));
    DTI_CHECK(H5Aread(attr, mem.get(), ptrs.data()) >= 0, what, ": unreadable (", last_error(),
              ")");
    for (char* p : ptrs) {
      out.emplace_back(p != nullptr ? p : "");
      H5free_memory(p);
    }
    return;
  }
  const size_t size = H5Tget_size(type);
  std::vector<char> buffer(size * count + 1, '\0');
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), size);
  H5Tset_cset(mem.get(), H5Tget_cset(type));
  DTI_CHECK(H5Aread(attr, mem.get(), buffer.data()) >= 0, what, ": unreadable (", last_error(),
            ")");
  for (size_t i = 0; i < count; ++i) {
    const char* begin = buffer.data() + i * size;
    out.emplace_back(begin, std::find(begin, begin + size, '\0'));
  }
}

}  // namespace

Handle& Handle::operator=(Handle&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = other.id_;
    close_ = other.close_;
    other.id_ = -1;
  }
  return *this;
}

bool Handle::reset() {
  bool ok = true;
  if (id_ >= 0 && close_ != nullptr) ok = close_(id_) >= 0;
  id_ = -1;
  return ok;
}

void silence_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string last_error() {
  std::string innermost;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, keep_innermost, &innermost);
  if (innermost.empty()) return "no details from HDF5";
  // A failed system call comes as "file write failed: time = ..., errno = 28, error message =
  // 'No space left on device', buf = 0x..., ...": keep what failed and the system's reason.
  const std::string marker = "error message = '";
  const size_t at = innermost.find(marker);
  const size_t end = at == std::string::npos ? at : innermost.find('\'', at + marker.size());
  if (end == std::string::npos) return innermost;
  const std::string reason = innermost.substr(at + marker.size(), end - at - marker.size());
  return innermost.substr(0, innermost.find(':')) + ": " + reason;
}

Handle create_checksummed_file(const std::string& path, std::string* error) {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  // The 1.10 format's object headers hold access/modification times unless told not to: the
  // root group's would make two files of the same content differ by the second they were made.
  if (!fapl.valid() || !fcpl.valid() ||
      H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V110, H5F_LIBVER_LATEST) < 0 ||
      H5Pset_obj_track_times(fcpl.get(), 0) < 0) {
    if (error != nullptr) *error = last_error();
    return Handle();
  }
  Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose);
  // Read now: closing the property lists (any HDF5 call) clears the error stack.
  if (!file.valid() && error != nullptr) *error = last_error();
  return file;
}

int superblock_version(hid_t file) {
  H5F_info2_t info{};
  if (H5Fget_info2(file, &info) < 0) return -1;
  return static_cast<int>(info.super.version);
}

std::string type_name(hid_t type) {
  switch (H5Tget_class(type)) {
    case H5T_INTEGER: {
      const bool is_signed = H5Tget_sign(type) == H5T_SGN_2;
      return std::string(is_signed ? "int" : "uint") + std::to_string(8 * H5Tget_size(type));
    }
    case H5T_FLOAT:
      return "float" + std::to_string(8 * H5Tget_size(type));
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    default:
      return "other";
  }
}

std::vector<int64_t> dims(hid_t dataset) {
  Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> d(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), d.data(), nullptr);
  return std::vector<int64_t>(d.begin(), d.end());
}

bool has_attribute(hid_t object, const std::string& name) {
  return H5Aexists(object, name.c_str()) > 0;
}

void write_string(hid_t object, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), value.size() + 1);
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  DTI_CHECK(attr.valid() && H5Awrite(attr.get(), type.get(), value.c_str()) >= 0,
            "cannot write attribute '", name, "' (", last_error(), ")");
}

void write_int(hid_t object, const std::string& name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(
      H5Acreate2(object, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  DTI_CHECK(attr.valid() && H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) >= 0,
            "cannot write attribute '", name, "' (", last_error(), ")");
}

void write_strings(hid_t object, const std::string& name, const std::vector<std::string>& values) {
  size_t width = 1;
  for (const auto& v : values) width = std::max(width, v.size() + 1);
  std::vector<char> buffer(width * std::max<size_t>(values.size(), 1), '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    std::copy(values[i].begin(), values[i].end(), buffer.begin() + static_cast<long>(i * width));
  }
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), width);
  H5Tset_strpad(type.get(), H5T_STR_NULLTERM);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const hsize_t count = values.size();
  Handle space(H5Screate_simple(1, &count, nullptr), H5Sclose);
  Handle attr(H5Acreate2(object, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  DTI_CHECK(attr.valid() && H5Awrite(attr.get(), type.get(), buffer.data()) >= 0,
            "cannot write attribute '", name, "' (", last_error(), ")");
}

std::string read_string(hid_t object, const std::string& name, const std::string& where) {
  Handle attr = open_attribute(object, name, where);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const std::string what = where + ": attribute '" + name + "'";
  DTI_CHECK(H5Tget_class(type.get()) == H5T_STRING, what, " has type ", type_name(type.get()),
            "; expected a string");
  DTI_CHECK(H5Sget_simple_extent_npoints(space.get()) == 1, what,
            " holds several values; expected one string");
  std::vector<std::string> values;
  read_string_values(attr.get(), type.get(), 1, values, what);
  return values.front();
}

int64_t read_int(hid_t object, const std::string& name, const std::string& where) {
  Handle attr = open_attribute(object, name, where);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const std::string what = where + ": attribute '" + name + "'";
  DTI_CHECK(H5Tget_class(type.get()) == H5T_INTEGER, what, " has type ", type_name(type.get()),
            "; expected an integer");
  DTI_CHECK(H5Sget_simple_extent_npoints(space.get()) == 1, what,
            " holds several values; expected one integer");
  int64_t value = 0;
  DTI_CHECK(H5Aread(attr.get(), H5T_NATIVE_INT64, &value) >= 0, what, ": unreadable (",
            last_error(), ")");
  return value;
}

std::vector<std::string> read_strings(hid_t object, const std::string& name,
                                      const std::string& where) {
  Handle attr = open_attribute(object, name, where);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const std::string what = where + ": attribute '" + name + "'";
  DTI_CHECK(H5Tget_class(type.get()) == H5T_STRING, what, " has type ", type_name(type.get()),
            "; expected strings");
  const auto count = static_cast<size_t>(H5Sget_simple_extent_npoints(space.get()));
  std::vector<std::string> values;
  if (count > 0) read_string_values(attr.get(), type.get(), count, values, what);
  return values;
}

}  // namespace dti::datasets::h5
