#include "core/checkpoint.h"

#include <c10/core/GradMode.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/strings.h"

namespace dti::core {
namespace {

constexpr char kMagic[8] = {'D', 'T', 'I', 'C', 'K', 'P', 'T', '\0'};
constexpr uint32_t kVersion = 1;

uint32_t crc32(const std::string& data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char ch : data) crc = table[(crc ^ ch) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

uint8_t dtype_code(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return 0;
    case at::kDouble:
      return 1;
    case at::kLong:
      return 2;
    case at::kByte:
      return 3;
    case at::kBool:
      return 4;
    default:
      throw Error(std::string("checkpoint: unsupported tensor type ") + at::toString(t));
  }
}

at::ScalarType dtype_of(uint8_t code, const std::string& path) {
  switch (code) {
    case 0:
      return at::kFloat;
    case 1:
      return at::kDouble;
    case 2:
      return at::kLong;
    case 3:
      return at::kByte;
    case 4:
      return at::kBool;
    default:
      throw Error("checkpoint " + path + " is corrupt: unknown tensor type code " +
                  std::to_string(code));
  }
}

template <typename T>
void put(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(T));
}
void put_str(std::string& out, const std::string& s) {
  put<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// Most dimensions a stored tensor has (ours have at most 5).
constexpr uint32_t kMaxDims = 16;

// Bytes a tensor of shape `dims` holds, or UINT64_MAX when a dimension is negative or the shape
// would not fit in memory even without its zero dimensions: LibTorch multiplies the dimensions
// as int64 before looking at the zeros (found by fuzzing: [0, 7e16, 5e18] made at::empty throw).
uint64_t shape_bytes(const std::vector<int64_t>& dims, size_t element_size) {
  constexpr uint64_t kLimit = uint64_t{1} << 62;
  uint64_t nonzero = element_size;  // product of the non-zero dimensions, in bytes
  bool empty = false;
  for (int64_t d : dims) {
    if (d < 0) return UINT64_MAX;
    if (d == 0) {
      empty = true;
      continue;
    }
    if (nonzero > kLimit / static_cast<uint64_t>(d)) return UINT64_MAX;
    nonzero *= static_cast<uint64_t>(d);
  }
  return empty ? 0 : nonzero;
}

// Sequential reader over the payload that reports truncation with the file name.
struct Reader {
  const std::string& data;
  const std::string& path;
  size_t pos = 0;
  // Written as a subtraction: a damaged 64-bit length must not wrap pos + n around (fuzzing).
  void need(uint64_t n) const {
    if (n > data.size() - pos) {
      throw Error("checkpoint " + path + " is truncated (needs " + std::to_string(n) +
                  " more bytes at offset " + std::to_string(pos) + ", has " +
                  std::to_string(data.size()) + "); use an earlier checkpoint or retrain");
    }
  }
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, data.data() + pos, sizeof(T));
    pos += sizeof(T);
    return v;
  }
  std::string get_str() {
    const auto n = get<uint32_t>();
    need(n);
    std::string s = data.substr(pos, n);
    pos += n;
    return s;
  }
};

}  // namespace

const at::Tensor& Checkpoint::tensor(const std::string& name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return t.tensor;
  }
  throw Error("checkpoint has no tensor '" + name + "' (" + std::to_string(tensors.size()) +
              " tensors)");
}

bool Checkpoint::has_tensor(const std::string& name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return true;
  }
  return false;
}

const std::string& Checkpoint::meta(const std::string& key) const {
  auto it = metadata.find(key);
  DTI_CHECK(it != metadata.end(), "checkpoint has no metadata '", key, "'");
  return it->second;
}

void save_checkpoint(const std::string& path, const Checkpoint& checkpoint) {
  std::string out(kMagic, sizeof(kMagic));
  put<uint32_t>(out, kVersion);
  put<uint32_t>(out, static_cast<uint32_t>(checkpoint.metadata.size()));
  for (const auto& [k, v] : checkpoint.metadata) {
    put_str(out, k);
    put_str(out, v);
  }
  put<uint32_t>(out, static_cast<uint32_t>(checkpoint.tensors.size()));
  for (const auto& t : checkpoint.tensors) {
    auto cpu = t.tensor.detach().to(at::kCPU).contiguous();
    put_str(out, t.name);
    put<uint8_t>(out, dtype_code(cpu.scalar_type()));
    put<uint32_t>(out, static_cast<uint32_t>(cpu.dim()));
    for (int64_t d : cpu.sizes()) put<int64_t>(out, d);
    const uint64_t nbytes = static_cast<uint64_t>(cpu.numel()) * cpu.element_size();
    put<uint64_t>(out, nbytes);
    out.append(static_cast<const char*>(cpu.data_ptr()), nbytes);
  }
  put<uint32_t>(out, crc32(out));

  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  DTI_CHECK(fd >= 0, "cannot write checkpoint ", tmp, ": ", std::strerror(errno));
  size_t written = 0;
  while (written < out.size()) {
    const ssize_t n = ::write(fd, out.data() + written, out.size() - written);
    if (n <= 0) {
      const std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      throw Error("cannot write checkpoint " + tmp + ": " + err);
    }
    written += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    const std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw Error("cannot write checkpoint " + tmp + ": " + err + " (disk full?)");
  }
  // The checkpoint being replaced becomes the fallback (previous_checkpoint_path()); a kill
  // between the two renames leaves only the previous one, which resuming finds.
  const std::string previous = previous_checkpoint_path(path);
  if (::access(path.c_str(), F_OK) == 0) {
    DTI_CHECK(std::rename(path.c_str(), previous.c_str()) == 0, "cannot rename ", path, " to ",
              previous, ": ", std::strerror(errno));
  }
  DTI_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, "cannot rename ", tmp, " to ", path, ": ",
            std::strerror(errno));
}

std::string previous_checkpoint_path(const std::string& path) { return path + ".previous"; }

Checkpoint load_checkpoint_or_previous(const std::string& path, std::string* loaded_from,
                                       std::string* problem) {
  const std::string previous = previous_checkpoint_path(path);
  std::string latest_error;
  if (::access(path.c_str(), F_OK) == 0) {
    try {
      Checkpoint ck = load_checkpoint(path);
      if (loaded_from) *loaded_from = path;
      return ck;
    } catch (const Error& e) {
      latest_error = e.what();
    }
  } else {
    latest_error = "checkpoint " + path + " is missing";
  }
  if (::access(previous.c_str(), F_OK) != 0) {
    throw Error(latest_error + "; no previous checkpoint " + previous +
                " to fall back to: delete both files to train this run again from the start");
  }
  try {
    Checkpoint ck = load_checkpoint(previous);
    if (loaded_from) *loaded_from = previous;
    if (problem) *problem = latest_error;
    return ck;
  } catch (const Error& e) {
    throw Error(latest_error + "; the previous checkpoint is unusable too (" + e.what() +
                "): delete " + path + " and " + previous +
                " to train this run again from the start");
  }
}

Checkpoint load_checkpoint(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DTI_CHECK(in.good(), "checkpoint ", path, " not found (train first, or check --checkpoint)");
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string data = buffer.str();
  DTI_CHECK(
      data.size() >= sizeof(kMagic) + 4 && std::memcmp(data.data(), kMagic, sizeof(kMagic)) == 0,
      "file ", path, " is not a dtisprites checkpoint (bad magic)");
  const std::string payload = data.substr(0, data.size() - 4);
  uint32_t stored = 0;
  std::memcpy(&stored, data.data() + data.size() - 4, 4);
  DTI_CHECK(stored == crc32(payload), "checkpoint ", path,
            " is corrupt (CRC mismatch): it was damaged after writing; resuming falls back to ",
            previous_checkpoint_path(path), " when it exists");
  Reader r{payload, path, sizeof(kMagic)};
  const auto version = r.get<uint32_t>();
  DTI_CHECK(version == kVersion, "checkpoint ", path, " has format version ", version,
            "; this build reads version ", kVersion);
  Checkpoint ck;
  const auto n_meta = r.get<uint32_t>();
  for (uint32_t i = 0; i < n_meta; ++i) {
    auto k = r.get_str();
    ck.metadata[k] = r.get_str();
  }
  const auto n_tensors = r.get<uint32_t>();
  for (uint32_t i = 0; i < n_tensors; ++i) {
    NamedTensor t;
    t.name = r.get_str();
    const auto type = dtype_of(r.get<uint8_t>(), path);
    const auto ndim = r.get<uint32_t>();
    DTI_CHECK(ndim <= kMaxDims, "checkpoint ", path, " is corrupt: tensor ", t.name, " has ", ndim,
              " dimensions (at most ", kMaxDims, ")");
    std::vector<int64_t> dims;
    for (uint32_t d = 0; d < ndim; ++d) dims.push_back(r.get<int64_t>());
    const auto nbytes = r.get<uint64_t>();
    r.need(nbytes);
    // The shape must account for exactly the bytes present before anything is allocated: a
    // damaged shape would otherwise ask LibTorch for terabytes or fail inside it (fuzzing).
    DTI_CHECK(shape_bytes(dims, at::elementSize(type)) == nbytes, "checkpoint ", path,
              " is corrupt: tensor ", t.name, " has shape ", at::IntArrayRef(dims), " but ", nbytes,
              " bytes of data");
    t.tensor = at::empty(dims, at::TensorOptions(type));
    if (nbytes > 0) std::memcpy(t.tensor.data_ptr(), payload.data() + r.pos, nbytes);
    r.pos += nbytes;
    ck.tensors.push_back(std::move(t));
  }
  return ck;
}

void copy_named(const Checkpoint& from, const std::vector<NamedTensor>& into, bool allow_missing) {
  c10::NoGradGuard no_grad;
  std::vector<std::string> missing;
  for (const auto& t : into) {
    if (!from.has_tensor(t.name)) {
      missing.push_back(t.name);
      continue;
    }
    const auto& src = from.tensor(t.name);
    DTI_CHECK(src.sizes() == t.tensor.sizes(), "checkpoint tensor ", t.name, " has shape ",
              src.sizes(), " but the model expects ", t.tensor.sizes(),
              ": the checkpoint was made with another configuration");
    t.tensor.copy_(src);
  }
  DTI_CHECK(allow_missing || missing.empty(), "checkpoint lacks tensors: ", missing,
            " (made with another configuration?)");
}

}  // namespace dti::core
