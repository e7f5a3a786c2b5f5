// GgufWriter: see gguf_writer.h.
#include "core/gguf_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace deepgate {
namespace {

// On-disk value type tags (GgufValueType in gguf.h).
constexpr uint32_t kTypeU32 = 4, kTypeI32 = 5, kTypeF32 = 6, kTypeBool = 7, kTypeString = 8,
                   kTypeArray = 9, kTypeU64 = 10;
constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as a little-endian u32
constexpr uint32_t kGgufVersion = 3;
constexpr size_t kIoBufferBytes = 4u << 20;  // fewer syscalls when rows arrive in small chunks

template <typename T>
void Put(std::vector<uint8_t>* out, T v) {
  // GGUF is little-endian, as is every host we build for (x86-64, aarch64 Linux).
  const size_t at = out->size();
  out->resize(at + sizeof(T));
  std::memcpy(out->data() + at, &v, sizeof(T));
}

void PutString(std::vector<uint8_t>* out, std::string_view s) {
  Put<uint64_t>(out, s.size());
  const size_t at = out->size();
  out->resize(at + s.size());
  if (!s.empty()) std::memcpy(out->data() + at, s.data(), s.size());
}

uint64_t AlignUp(uint64_t n, uint64_t a) { return (n + a - 1) / a * a; }

bool ValidAlignment(uint32_t a) { return a != 0 && (a & (a - 1)) == 0 && a <= (1u << 20); }
Status AlignmentError(uint32_t a) {
  return Status::InvalidArgument("alignment " + std::to_string(a) + " is not a power of two in [1, 1 MiB]");
}

std::string ErrnoText() { return std::strerror(errno); }

}  // namespace

GgufWriter::GgufWriter(uint32_t alignment) : alignment_(alignment) {}

GgufWriter::~GgufWriter() {
  if (began_ && !finished_) Abandon();
}

void GgufWriter::Abandon() {
  file_.reset();
  if (!tmp_path_.empty()) ::unlink(tmp_path_.c_str());
  failed_ = true;
}

Status GgufWriter::AddKey(std::string_view key, uint32_t type, const std::vector<uint8_t>& value) {
  if (began_) return Status::Internal("GGUF metadata added after Begin()");
  if (key.empty()) return Status::InvalidArgument("empty metadata key");
  if (key == "general.alignment") {
    return Status::InvalidArgument("general.alignment is written by the writer (constructor argument)");
  }
  if (keys_.count(key)) return Status::InvalidArgument("duplicate metadata key '" + std::string(key) + "'");
  keys_.emplace(key);
  PutString(&kv_bytes_, key);
  Put<uint32_t>(&kv_bytes_, type);
  kv_bytes_.insert(kv_bytes_.end(), value.begin(), value.end());
  ++n_kv_;
  return Status::Ok();
}

Status GgufWriter::AddU32(std::string_view key, uint32_t v) {
  std::vector<uint8_t> b;
  Put(&b, v);
  return AddKey(key, kTypeU32, b);
}

Status GgufWriter::AddI32(std::string_view key, int32_t v) {
  std::vector<uint8_t> b;
  Put(&b, v);
  return AddKey(key, kTypeI32, b);
}

Status GgufWriter::AddU64(std::string_view key, uint64_t v) {
  std::vector<uint8_t> b;
  Put(&b, v);
  return AddKey(key, kTypeU64, b);
}

Status GgufWriter::AddF32(std::string_view key, float v) {
  std::vector<uint8_t> b;
  Put(&b, v);
  return AddKey(key, kTypeF32, b);
}

Status GgufWriter::AddBool(std::string_view key, bool v) {
  std::vector<uint8_t> b;
  Put<uint8_t>(&b, v ? 1 : 0);
  return AddKey(key, kTypeBool, b);
}

Status GgufWriter::AddString(std::string_view key, std::string_view v) {
  std::vector<uint8_t> b;
  PutString(&b, v);
  return AddKey(key, kTypeString, b);
}

Status GgufWriter::AddStringArray(std::string_view key, const std::vector<std::string>& v) {
  std::vector<uint8_t> b;
  Put<uint32_t>(&b, kTypeString);
  Put<uint64_t>(&b, v.size());
  for (const std::string& s : v) PutString(&b, s);
  return AddKey(key, kTypeArray, b);
}

Status GgufWriter::AddF32Array(std::string_view key, const std::vector<float>& v) {
  std::vector<uint8_t> b;
  Put<uint32_t>(&b, kTypeF32);
  Put<uint64_t>(&b, v.size());
  for (float x : v) Put(&b, x);
  return AddKey(key, kTypeArray, b);
}

Status GgufWriter::AddI32Array(std::string_view key, const std::vector<int32_t>& v) {
  std::vector<uint8_t> b;
  Put<uint32_t>(&b, kTypeI32);
  Put<uint64_t>(&b, v.size());
  for (int32_t x : v) Put(&b, x);
  return AddKey(key, kTypeArray, b);
}

Status GgufWriter::AddTensorInfo(std::string_view name, GgmlType type, const std::vector<int64_t>& ne) {
  if (began_) return Status::Internal("GGUF tensor declared after Begin()");
  const std::string ctx = "tensor '" + std::string(name) + "'";
  if (!ValidAlignment(alignment_)) return AlignmentError(alignment_);
  if (name.empty()) return Status::InvalidArgument("empty tensor name");
  if (tensor_names_.count(name)) return Status::InvalidArgument("duplicate " + ctx);
  if (ne.empty() || ne.size() > 4) return Status::InvalidArgument(ctx + ": 1 to 4 dimensions allowed");
  uint64_t rows = 1;
  for (size_t d = 0; d < ne.size(); ++d) {
    if (ne[d] <= 0) return Status::InvalidArgument(ctx + ": dimension " + std::to_string(d) + " is not positive");
    if (d > 0) rows *= static_cast<uint64_t>(ne[d]);
  }
  if (!TypeTraitsOf(static_cast<uint32_t>(type))) return Status::Unimplemented(ctx + ": unknown tensor type");
  const auto row_bytes = RowBytes(type, ne[0]);
  if (!row_bytes) {
    return Status::InvalidArgument(ctx + ": row length " + std::to_string(ne[0]) +
                                   " is not a whole number of " + TypeName(type) + " blocks");
  }
  TensorInfo t;
  t.name = std::string(name);
  t.type = type;
  t.ne = ne;
  t.row_bytes = *row_bytes;
  t.nbytes = *row_bytes * rows;
  t.offset = tensors_.empty() ? 0 : AlignUp(tensors_.back().offset + tensors_.back().nbytes, alignment_);
  tensor_names_.emplace(name);
  tensors_.push_back(std::move(t));
  return Status::Ok();
}

std::vector<uint8_t> GgufWriter::EncodeHeader() const {
  std::vector<uint8_t> h;
  Put<uint32_t>(&h, kGgufMagic);
  Put<uint32_t>(&h, kGgufVersion);
  Put<uint64_t>(&h, tensors_.size());
  Put<uint64_t>(&h, n_kv_ + 1);  // + general.alignment
  h.insert(h.end(), kv_bytes_.begin(), kv_bytes_.end());
  PutString(&h, "general.alignment");
  Put<uint32_t>(&h, kTypeU32);
  Put<uint32_t>(&h, alignment_);
  for (const TensorInfo& t : tensors_) {
    PutString(&h, t.name);
    Put<uint32_t>(&h, static_cast<uint32_t>(t.ne.size()));
    for (int64_t n : t.ne) Put<uint64_t>(&h, static_cast<uint64_t>(n));
    Put<uint32_t>(&h, static_cast<uint32_t>(t.type));
    Put<uint64_t>(&h, t.offset);
  }
  // The reader starts the data section at the next aligned offset; padding it here too
  // keeps every tensor offset aligned in the file, not just in the data section.
  h.resize(AlignUp(h.size(), alignment_), 0);
  return h;
}

uint64_t GgufWriter::DataSectionSize() const {
  return tensors_.empty() ? 0 : tensors_.back().offset + tensors_.back().nbytes;
}

uint64_t GgufWriter::FileSize() const {
  if (!ValidAlignment(alignment_)) return 0;
  return EncodeHeader().size() + DataSectionSize();
}

Status GgufWriter::WriteRaw(const void* data, size_t n) {
  if (n == 0) return Status::Ok();
  if (std::fwrite(data, 1, n, file_.get()) != n) {
    const std::string err = ErrnoText();
    Abandon();
    return Status::IoError("write " + tmp_path_ + ": " + err);
  }
  return Status::Ok();
}

Status GgufWriter::WritePadding(uint64_t n) {
  static const uint8_t kZeros[64] = {};
  while (n > 0) {
    const size_t k = n < sizeof(kZeros) ? static_cast<size_t>(n) : sizeof(kZeros);
    DG_RETURN_IF_ERROR(WriteRaw(kZeros, k));
    n -= k;
  }
  return Status::Ok();
}

Status GgufWriter::Begin(const std::string& path) {
  if (began_) return Status::Internal("GgufWriter::Begin called twice");
  if (!ValidAlignment(alignment_)) return AlignmentError(alignment_);
  path_ = path;
  tmp_path_ = path + ".tmp";
  const int fd = ::open(tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IoError("create " + tmp_path_ + ": " + ErrnoText());
  began_ = true;
  // The umask may have narrowed the mode; model files are meant to be world-readable.
  ::fchmod(fd, 0644);
  file_.reset(::fdopen(fd, "wb"));
  if (!file_) {
    ::close(fd);
    Abandon();
    return Status::IoError("fdopen " + tmp_path_ + ": " + ErrnoText());
  }
  std::setvbuf(file_.get(), nullptr, _IOFBF, kIoBufferBytes);
  const std::vector<uint8_t> header = EncodeHeader();
  return WriteRaw(header.data(), header.size());
}

Status GgufWriter::WriteTensorData(const void* data, size_t n_bytes) {
  if (!began_ || finished_ || failed_) return Status::Internal("GgufWriter is not writing tensor data");
  if (current_ >= tensors_.size()) {
    return Status::InvalidArgument("tensor data written past the last declared tensor");
  }
  const TensorInfo& t = tensors_[current_];
  const std::string ctx = "tensor '" + t.name + "'";
  if (n_bytes % t.row_bytes != 0) {
    return Status::InvalidArgument(ctx + ": " + std::to_string(n_bytes) + " bytes is not a whole number of " +
                                   std::to_string(t.row_bytes) + "-byte rows");
  }
  if (current_written_ + n_bytes > t.nbytes) {
    return Status::InvalidArgument(ctx + ": " + std::to_string(current_written_ + n_bytes) + " bytes written, size is " +
                                   std::to_string(t.nbytes));
  }
  DG_RETURN_IF_ERROR(WriteRaw(data, n_bytes));
  current_written_ += n_bytes;
  if (current_written_ == t.nbytes) {
    ++current_;
    current_written_ = 0;
    if (current_ < tensors_.size()) {
      DG_RETURN_IF_ERROR(WritePadding(tensors_[current_].offset - (t.offset + t.nbytes)));
    }
  }
  return Status::Ok();
}

Status GgufWriter::Finish() {
  if (!began_ || finished_ || failed_) return Status::Internal("GgufWriter::Finish without a file being written");
  if (current_ < tensors_.size()) {
    return Status::InvalidArgument("tensor '" + tensors_[current_].name + "' is incomplete (" +
                                   std::to_string(current_written_) + " of " + std::to_string(tensors_[current_].nbytes) +
                                   " bytes)");
  }
  std::FILE* f = file_.get();
  if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0) {
    const std::string err = ErrnoText();
    Abandon();
    return Status::IoError("flush " + tmp_path_ + ": " + err);
  }
  if (std::fclose(file_.release()) != 0) {
    const std::string err = ErrnoText();
    Abandon();
    return Status::IoError("close " + tmp_path_ + ": " + err);
  }
  if (::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    const std::string err = ErrnoText();
    Abandon();
    return Status::IoError("rename " + tmp_path_ + " -> " + path_ + ": " + err);
  }
  finished_ = true;
  return Status::Ok();
}

}  // namespace deepgate
