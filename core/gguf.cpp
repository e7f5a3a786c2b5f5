#include "core/gguf.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/mapped_file.h"

namespace deepgate {
namespace {

constexpr uint32_t kGgufMagic = 0x46554747;  // "GGUF" read as little-endian u32
constexpr uint32_t kMaxDims = 4;
constexpr uint64_t kMaxKeyBytes = 1u << 16;
constexpr uint64_t kMaxAlignment = 1u << 20;

// Size in bytes of a fixed-size scalar value type; 0 for string/array.
size_t ScalarBytes(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16: case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32: case GgufValueType::kInt32: case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64: case GgufValueType::kInt64: case GgufValueType::kFloat64: return 8;
    case GgufValueType::kString: case GgufValueType::kArray: return 0;
  }
  return 0;
}

bool IsKnownValueType(uint32_t t) { return t <= static_cast<uint32_t>(GgufValueType::kFloat64); }

bool IsIntegerType(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kUint16:
    case GgufValueType::kInt16: case GgufValueType::kUint32: case GgufValueType::kInt32:
    case GgufValueType::kUint64: case GgufValueType::kInt64: return true;
    default: return false;
  }
}

template <typename T>
T LoadLe(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));  // x86-64 and aarch64 Linux are little-endian, like GGUF
  return v;
}

// Reads an integer value of any integer type as a 128-bit-safe pair (negative flag + magnitude
// as int64/uint64). Returns false for non-integer types.
bool DecodeInteger(GgufValueType t, const uint8_t* p, bool* negative, uint64_t* magnitude, int64_t* as_signed) {
  int64_t s = 0;
  uint64_t u = 0;
  bool neg = false;
  switch (t) {
    case GgufValueType::kUint8: u = LoadLe<uint8_t>(p); break;
    case GgufValueType::kUint16: u = LoadLe<uint16_t>(p); break;
    case GgufValueType::kUint32: u = LoadLe<uint32_t>(p); break;
    case GgufValueType::kUint64: u = LoadLe<uint64_t>(p); break;
    case GgufValueType::kInt8: s = LoadLe<int8_t>(p); neg = s < 0; break;
    case GgufValueType::kInt16: s = LoadLe<int16_t>(p); neg = s < 0; break;
    case GgufValueType::kInt32: s = LoadLe<int32_t>(p); neg = s < 0; break;
    case GgufValueType::kInt64: s = LoadLe<int64_t>(p); neg = s < 0; break;
    default: return false;
  }
  bool is_signed = t == GgufValueType::kInt8 || t == GgufValueType::kInt16 ||
                   t == GgufValueType::kInt32 || t == GgufValueType::kInt64;
  if (is_signed) {
    *negative = neg;
    *magnitude = neg ? 0 : static_cast<uint64_t>(s);
    *as_signed = s;
  } else {
    *negative = false;
    *magnitude = u;
    *as_signed = u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                     ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(u);
  }
  return true;
}

// Bounds-checked cursor over the file bytes. Every read checks the remaining length first.
class Cursor {
 public:
  Cursor(const uint8_t* base, size_t size) : base_(base), size_(size) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  Status Need(uint64_t n, const char* what) const {
    if (n > remaining())
      return Status::InvalidArgument(std::string("truncated file: ") + what + " needs " +
                                     std::to_string(n) + " bytes at offset " + std::to_string(pos_) +
                                     ", " + std::to_string(remaining()) + " left");
    return Status::Ok();
  }
  template <typename T>
  Status Read(T* out, const char* what) {
    DG_RETURN_IF_ERROR(Need(sizeof(T), what));
    *out = LoadLe<T>(base_ + pos_);
    pos_ += sizeof(T);
    return Status::Ok();
  }
  Status ReadString(std::string_view* out, uint64_t max_bytes, const char* what) {
    uint64_t len = 0;
    DG_RETURN_IF_ERROR(Read(&len, what));
    if (len > max_bytes)
      return Status::InvalidArgument(std::string(what) + " length " + std::to_string(len) + " exceeds limit " +
                                     std::to_string(max_bytes));
    DG_RETURN_IF_ERROR(Need(len, what));
    *out = std::string_view(reinterpret_cast<const char*>(base_ + pos_), len);
    pos_ += len;
    return Status::Ok();
  }
  Status Skip(uint64_t n, const char* what) {
    DG_RETURN_IF_ERROR(Need(n, what));
    pos_ += n;
    return Status::Ok();
  }
  const uint8_t* here() const { return base_ + pos_; }

 private:
  const uint8_t* base_;
  size_t size_;
  size_t pos_ = 0;
};

// Validates one value of type t at the cursor and advances past it.
Status SkipValue(Cursor& c, GgufValueType t, int depth) {
  if (t == GgufValueType::kString) {
    std::string_view s;
    return c.ReadString(&s, GgufFile::kMaxStringBytes, "string value");
  }
  if (t == GgufValueType::kArray) {
    if (depth >= GgufFile::kMaxArrayDepth) return Status::InvalidArgument("arrays nested too deeply");
    uint32_t raw_elem = 0;
    uint64_t count = 0;
    DG_RETURN_IF_ERROR(c.Read(&raw_elem, "array element type"));
    if (!IsKnownValueType(raw_elem))
      return Status::InvalidArgument("unknown array element type " + std::to_string(raw_elem));
    DG_RETURN_IF_ERROR(c.Read(&count, "array length"));
    if (count > GgufFile::kMaxArrayElems)
      return Status::InvalidArgument("array length " + std::to_string(count) + " exceeds limit");
    auto elem = static_cast<GgufValueType>(raw_elem);
    if (size_t eb = ScalarBytes(elem); eb != 0) return c.Skip(count * eb, "array data");
    // Strings/arrays: each element needs at least 8 bytes, so a huge count fails fast.
    DG_RETURN_IF_ERROR(c.Need(count * 8, "array elements"));
    for (uint64_t i = 0; i < count; ++i) DG_RETURN_IF_ERROR(SkipValue(c, elem, depth + 1));
    return Status::Ok();
  }
  return c.Skip(ScalarBytes(t), "scalar value");
}

// "text" for display (append-based: GCC 12 misreports -Wrestrict on operator+ chains).
std::string Quoted(const uint8_t* p, uint64_t len) {
  std::string s;
  s.reserve(len + 2);
  s.push_back('"');
  s.append(reinterpret_cast<const char*>(p), len);
  s.push_back('"');
  return s;
}

std::string KeyError(std::string_view key, const std::string& what) {
  return "metadata '" + std::string(key) + "': " + what;
}

}  // namespace

const char* GgufValueTypeName(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: return "u8";
    case GgufValueType::kInt8: return "i8";
    case GgufValueType::kUint16: return "u16";
    case GgufValueType::kInt16: return "i16";
    case GgufValueType::kUint32: return "u32";
    case GgufValueType::kInt32: return "i32";
    case GgufValueType::kFloat32: return "f32";
    case GgufValueType::kBool: return "bool";
    case GgufValueType::kString: return "string";
    case GgufValueType::kArray: return "array";
    case GgufValueType::kUint64: return "u64";
    case GgufValueType::kInt64: return "i64";
    case GgufValueType::kFloat64: return "f64";
  }
  return "unknown";
}

std::string GgufTensor::ShapeString() const {
  std::string s = "[";
  for (int i = 0; i < n_dims; ++i) {
    if (i) s += ", ";
    s += std::to_string(ne[i]);
  }
  return s + "]";
}

GgufFile::GgufFile(GgufFile&&) noexcept = default;
GgufFile& GgufFile::operator=(GgufFile&&) noexcept = default;
GgufFile::~GgufFile() = default;

Result<GgufFile> GgufFile::Open(const std::string& path) {
  DG_ASSIGN_OR_RETURN(auto mapping, MappedFile::Open(path));
  GgufFile f;
  f.base_ = mapping->data();
  f.size_ = mapping->size();
  f.mapping_ = std::move(mapping);
  Status s = f.Parse();
  if (!s.ok()) return s.WithContext("'" + path + "'");
  return f;
}

Result<GgufFile> GgufFile::FromMemory(const uint8_t* data, size_t size) {
  GgufFile f;
  f.base_ = data;
  f.size_ = size;
  DG_RETURN_IF_ERROR(f.Parse());
  return f;
}

Status GgufFile::Parse() {
  Cursor c(base_, size_);
  uint32_t magic = 0;
  DG_RETURN_IF_ERROR(c.Read(&magic, "magic"));
  if (magic != kGgufMagic) return Status::InvalidArgument("not a GGUF file (bad magic)");
  DG_RETURN_IF_ERROR(c.Read(&version_, "version"));
  if (version_ == 1) return Status::Unimplemented("GGUF version 1 is not supported (convert the file to v3)");
  if (version_ != 2 && version_ != 3) {
    // A byte-swapped 2 or 3 means a big-endian file.
    if (version_ == 0x02000000u || version_ == 0x03000000u)
      return Status::Unimplemented("big-endian GGUF files are not supported");
    return Status::InvalidArgument("unknown GGUF version " + std::to_string(version_));
  }
  uint64_t n_tensors = 0, n_kv = 0;
  DG_RETURN_IF_ERROR(c.Read(&n_tensors, "tensor count"));
  DG_RETURN_IF_ERROR(c.Read(&n_kv, "metadata count"));
  if (n_tensors > kMaxTensors) return Status::InvalidArgument("tensor count " + std::to_string(n_tensors) + " exceeds limit");
  if (n_kv > kMaxKv) return Status::InvalidArgument("metadata count " + std::to_string(n_kv) + " exceeds limit");

  // Metadata. Each entry takes at least 8 (key len) + 4 (type) bytes: fail fast on a huge count.
  DG_RETURN_IF_ERROR(c.Need(n_kv * 12, "metadata entries"));
  kvs_.clear();
  kvs_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    GgufKv kv;
    DG_RETURN_IF_ERROR(c.ReadString(&kv.key, kMaxKeyBytes, "metadata key"));
    if (kv.key.empty()) return Status::InvalidArgument("empty metadata key at entry " + std::to_string(i));
    uint32_t raw_type = 0;
    DG_RETURN_IF_ERROR(c.Read(&raw_type, "metadata value type"));
    if (!IsKnownValueType(raw_type))
      return Status::InvalidArgument(KeyError(kv.key, "unknown value type " + std::to_string(raw_type)));
    kv.type = static_cast<GgufValueType>(raw_type);
    kv.array_type = kv.type;
    size_t start = c.pos();
    if (kv.type == GgufValueType::kArray) {
      // Peek the element type and count for the accessors, then validate the whole array.
      Cursor peek = c;
      uint32_t et = 0;
      DG_RETURN_IF_ERROR(peek.Read(&et, "array element type"));
      DG_RETURN_IF_ERROR(peek.Read(&kv.array_count, "array length"));
      kv.array_type = static_cast<GgufValueType>(et);
    }
    Status s = SkipValue(c, kv.type, 0);
    if (!s.ok()) return s.WithContext("metadata '" + std::string(kv.key) + "'");
    kv.value = base_ + start;
    kv.value_bytes = c.pos() - start;
    if (kv.type == GgufValueType::kBool && *kv.value > 1)
      return Status::InvalidArgument(KeyError(kv.key, "bool value is neither 0 nor 1"));
    if (FindKv(kv.key) != nullptr) return Status::InvalidArgument(KeyError(kv.key, "duplicate key"));
    kvs_.push_back(kv);
  }

  alignment_ = 32;
  if (const GgufKv* a = FindKv("general.alignment")) {
    if (a->type != GgufValueType::kUint32) return Status::InvalidArgument("general.alignment must be a u32");
    alignment_ = LoadLe<uint32_t>(a->value);
    if (alignment_ == 0 || (alignment_ & (alignment_ - 1)) != 0 || alignment_ > kMaxAlignment)
      return Status::InvalidArgument("general.alignment " + std::to_string(alignment_) + " is not a power of two in [1, 1 MiB]");
  }

  // Tensor infos. Each needs at least 8 (name len) + 4 (dims) + 4 (type) + 8 (offset) bytes.
  DG_RETURN_IF_ERROR(c.Need(n_tensors * 24, "tensor infos"));
  tensors_.clear();
  tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    GgufTensor t;
    DG_RETURN_IF_ERROR(c.ReadString(&t.name, kMaxKeyBytes, "tensor name"));
    std::string ctx = "tensor '" + std::string(t.name) + "'";
    if (t.name.empty()) return Status::InvalidArgument("empty tensor name at index " + std::to_string(i));
    uint32_t n_dims = 0;
    DG_RETURN_IF_ERROR(c.Read(&n_dims, "tensor dims"));
    if (n_dims == 0 || n_dims > kMaxDims)
      return Status::InvalidArgument(ctx + ": " + std::to_string(n_dims) + " dimensions (1 to 4 allowed)");
    t.n_dims = static_cast<int>(n_dims);
    uint64_t total = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      uint64_t ne = 0;
      DG_RETURN_IF_ERROR(c.Read(&ne, "tensor shape"));
      if (ne == 0 || ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / total)
        return Status::InvalidArgument(ctx + ": dimension " + std::to_string(d) + " = " + std::to_string(ne) +
                                       " is zero or overflows");
      total *= ne;
      t.ne[d] = static_cast<int64_t>(ne);
    }
    uint32_t raw_type = 0;
    DG_RETURN_IF_ERROR(c.Read(&raw_type, "tensor type"));
    auto traits = TypeTraitsOf(raw_type);
    if (!traits) return Status::Unimplemented(ctx + ": unknown tensor type " + std::to_string(raw_type));
    t.type = static_cast<GgmlType>(raw_type);
    DG_RETURN_IF_ERROR(c.Read(&t.offset, "tensor offset"));
    if (t.ne[0] % traits->block_elems != 0)
      return Status::InvalidArgument(ctx + ": row length " + std::to_string(t.ne[0]) + " is not a multiple of the " +
                                     traits->name + " block size " + std::to_string(traits->block_elems));
    uint64_t blocks = total / static_cast<uint64_t>(traits->block_elems);
    if (blocks > std::numeric_limits<uint64_t>::max() / traits->block_bytes)
      return Status::InvalidArgument(ctx + ": byte size overflows");
    t.nbytes = blocks * traits->block_bytes;
    if (t.offset % alignment_ != 0)
      return Status::InvalidArgument(ctx + ": offset " + std::to_string(t.offset) + " is not aligned to " +
                                     std::to_string(alignment_));
    tensors_.push_back(t);
  }

  // The data section starts at the next alignment boundary after the header.
  uint64_t header_end = c.pos();
  data_offset_ = (header_end + alignment_ - 1) / alignment_ * alignment_;
  if (tensors_.empty()) return Status::Ok();
  if (data_offset_ > size_) return Status::InvalidArgument("truncated file: data section starts past the end");
  uint64_t data_size = size_ - data_offset_;

  // Every tensor inside the data section, no two overlapping, no duplicate names.
  std::vector<size_t> order(tensors_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tensors_[a].offset < tensors_[b].offset; });
  for (size_t k = 0; k < order.size(); ++k) {
    GgufTensor& t = tensors_[order[k]];
    if (t.offset > data_size || t.nbytes > data_size - t.offset)
      return Status::InvalidArgument("tensor '" + std::string(t.name) + "' (" + std::to_string(t.nbytes) +
                                     " bytes at data offset " + std::to_string(t.offset) + ") extends past the end of the file");
    if (k > 0) {
      const GgufTensor& prev = tensors_[order[k - 1]];
      if (prev.offset + prev.nbytes > t.offset)
        return Status::InvalidArgument("tensors '" + std::string(prev.name) + "' and '" + std::string(t.name) + "' overlap");
    }
    t.data = base_ + data_offset_ + t.offset;
  }
  std::vector<std::string_view> names;
  names.reserve(tensors_.size());
  for (const auto& t : tensors_) names.push_back(t.name);
  std::sort(names.begin(), names.end());
  if (auto dup = std::adjacent_find(names.begin(), names.end()); dup != names.end())
    return Status::InvalidArgument("duplicate tensor name '" + std::string(*dup) + "'");
  return Status::Ok();
}

const GgufKv* GgufFile::FindKv(std::string_view key) const {
  for (const auto& kv : kvs_)
    if (kv.key == key) return &kv;
  return nullptr;
}

const GgufTensor* GgufFile::FindTensor(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Result<std::string_view> GgufFile::GetString(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (!kv) return Status::NotFound(KeyError(key, "missing"));
  if (kv->type != GgufValueType::kString)
    return Status::InvalidArgument(KeyError(key, std::string("expected string, found ") + GgufValueTypeName(kv->type)));
  uint64_t len = LoadLe<uint64_t>(kv->value);
  return std::string_view(reinterpret_cast<const char*>(kv->value + 8), len);
}

Result<int64_t> GgufFile::GetInt(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (!kv) return Status::NotFound(KeyError(key, "missing"));
  bool neg = false;
  uint64_t mag = 0;
  int64_t s = 0;
  if (!DecodeInteger(kv->type, kv->value, &neg, &mag, &s))
    return Status::InvalidArgument(KeyError(key, std::string("expected integer, found ") + GgufValueTypeName(kv->type)));
  if (!neg && mag > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return Status::InvalidArgument(KeyError(key, "value out of range"));
  return s;
}

Result<uint64_t> GgufFile::GetUint(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (!kv) return Status::NotFound(KeyError(key, "missing"));
  bool neg = false;
  uint64_t mag = 0;
  int64_t s = 0;
  if (!DecodeInteger(kv->type, kv->value, &neg, &mag, &s))
    return Status::InvalidArgument(KeyError(key, std::string("expected integer, found ") + GgufValueTypeName(kv->type)));
  if (neg) return Status::InvalidArgument(KeyError(key, "negative value"));
  return mag;
}

Result<double> GgufFile::GetFloat(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (!kv) return Status::NotFound(KeyError(key, "missing"));
  if (kv->type == GgufValueType::kFloat32) return static_cast<double>(LoadLe<float>(kv->value));
  if (kv->type == GgufValueType::kFloat64) return LoadLe<double>(kv->value);
  if (IsIntegerType(kv->type)) {
    DG_ASSIGN_OR_RETURN(int64_t v, GetInt(key));
    return static_cast<double>(v);
  }
  return Status::InvalidArgument(KeyError(key, std::string("expected number, found ") + GgufValueTypeName(kv->type)));
}

Result<bool> GgufFile::GetBool(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (!kv) return Status::NotFound(KeyError(key, "missing"));
  if (kv->type != GgufValueType::kBool)
    return Status::InvalidArgument(KeyError(key, std::string("expected bool, found ") + GgufValueTypeName(kv->type)));
  return *kv->value != 0;
}

Result<std::vector<std::string_view>> GgufFile::GetStringArray(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (!kv) return Status::NotFound(KeyError(key, "missing"));
  if (kv->type != GgufValueType::kArray || kv->array_type != GgufValueType::kString)
    return Status::InvalidArgument(KeyError(key, "expected array of strings"));
  std::vector<std::string_view> out;
  out.reserve(kv->array_count);
  const uint8_t* p = kv->value + 12;  // past element type and count; extents were validated
  for (uint64_t i = 0; i < kv->array_count; ++i) {
    uint64_t len = LoadLe<uint64_t>(p);
    out.emplace_back(reinterpret_cast<const char*>(p + 8), len);
    p += 8 + len;
  }
  return out;
}

Result<std::vector<float>> GgufFile::GetFloatArray(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (!kv) return Status::NotFound(KeyError(key, "missing"));
  if (kv->type != GgufValueType::kArray ||
      (kv->array_type != GgufValueType::kFloat32 && kv->array_type != GgufValueType::kFloat64))
    return Status::InvalidArgument(KeyError(key, "expected array of floats"));
  std::vector<float> out(kv->array_count);
  const uint8_t* p = kv->value + 12;
  for (uint64_t i = 0; i < kv->array_count; ++i)
    out[i] = kv->array_type == GgufValueType::kFloat32 ? LoadLe<float>(p + 4 * i)
                                                       : static_cast<float>(LoadLe<double>(p + 8 * i));
  return out;
}

Result<std::vector<int64_t>> GgufFile::GetIntArray(std::string_view key) const {
  const GgufKv* kv = FindKv(key);
  if (!kv) return Status::NotFound(KeyError(key, "missing"));
  if (kv->type != GgufValueType::kArray || !IsIntegerType(kv->array_type))
    return Status::InvalidArgument(KeyError(key, "expected array of integers"));
  std::vector<int64_t> out(kv->array_count);
  size_t eb = ScalarBytes(kv->array_type);
  const uint8_t* p = kv->value + 12;
  for (uint64_t i = 0; i < kv->array_count; ++i) {
    bool neg = false;
    uint64_t mag = 0;
    int64_t s = 0;
    DecodeInteger(kv->array_type, p + eb * i, &neg, &mag, &s);
    out[i] = s;
  }
  return out;
}

std::string GgufFile::ValueToString(const GgufKv& kv, size_t max_elems) const {
  auto scalar = [](GgufValueType t, const uint8_t* p) -> std::string {
    bool neg = false;
    uint64_t mag = 0;
    int64_t s = 0;
    if (DecodeInteger(t, p, &neg, &mag, &s)) return neg ? std::to_string(s) : std::to_string(mag);
    if (t == GgufValueType::kFloat32) return std::to_string(LoadLe<float>(p));
    if (t == GgufValueType::kFloat64) return std::to_string(LoadLe<double>(p));
    if (t == GgufValueType::kBool) return *p ? "true" : "false";
    return "?";
  };
  if (kv.type == GgufValueType::kString) {
    uint64_t len = LoadLe<uint64_t>(kv.value);
    return Quoted(kv.value + 8, len);
  }
  if (kv.type != GgufValueType::kArray) return scalar(kv.type, kv.value);
  std::string out = std::string("[") + GgufValueTypeName(kv.array_type) + " x " + std::to_string(kv.array_count) + "]";
  if (kv.array_type == GgufValueType::kArray) return out;
  out += " {";
  const uint8_t* p = kv.value + 12;
  size_t eb = ScalarBytes(kv.array_type);
  for (uint64_t i = 0; i < kv.array_count && i < max_elems; ++i) {
    if (i) out += ", ";
    if (kv.array_type == GgufValueType::kString) {
      uint64_t len = LoadLe<uint64_t>(p);
      out += Quoted(p + 8, len);
      p += 8 + len;
    } else {
      out += scalar(kv.array_type, p + eb * i);
    }
  }
  if (kv.array_count > max_elems) out += ", ...";
  return out + "}";
}

}  // namespace deepgate
