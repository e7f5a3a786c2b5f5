// GgufFile: a validated, read-only view of a GGUF (v2/v3) model file mapped with mmap.
//
// Open() checks every count, string length, array size, offset, alignment and tensor extent
// against the file size before anything is used, so a truncated, corrupt or hostile file is
// an error value, never a crash or an out-of-bounds read. Metadata strings and tensor data
// point into the mapping, which lives as long as the GgufFile (moves keep pointers valid).
// Thread-safety: immutable after Open; safe to read from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/ggml_type.h"
#include "core/status.h"

namespace deepgate {

class MappedFile;

enum class GgufValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};
const char* GgufValueTypeName(GgufValueType t);

// One metadata key/value. Values are decoded on demand through GgufFile's getters.
struct GgufKv {
  std::string_view key;
  GgufValueType type;                  // kArray for arrays
  GgufValueType array_type;            // element type when type == kArray
  uint64_t array_count = 0;            // elements when type == kArray
  const uint8_t* value = nullptr;      // first byte of the encoded value (validated extent)
  size_t value_bytes = 0;              // encoded size of the whole value
};

struct GgufTensor {
  std::string_view name;
  GgmlType type;
  int n_dims = 0;
  int64_t ne[4] = {1, 1, 1, 1};  // ne[0] is the contiguous (row) dimension
  uint64_t offset = 0;           // relative to the data section
  size_t nbytes = 0;
  const uint8_t* data = nullptr;  // inside the mapping, aligned

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
  int64_t n_rows() const { return ne[1] * ne[2] * ne[3]; }
  size_t row_bytes() const { return n_rows() ? nbytes / static_cast<size_t>(n_rows()) : 0; }
  std::string ShapeString() const;  // "[896, 4864]"
};

class GgufFile {
 public:
  // Limits that keep a hostile header from making us allocate or loop without bound.
  static constexpr uint64_t kMaxTensors = 1u << 20;
  static constexpr uint64_t kMaxKv = 1u << 16;
  static constexpr uint64_t kMaxStringBytes = 1u << 26;   // one metadata string (64 MiB)
  static constexpr uint64_t kMaxArrayElems = 1u << 26;    // one metadata array
  static constexpr int kMaxArrayDepth = 2;                // arrays of arrays at most this deep

  // Maps and validates the file at path.
  static Result<GgufFile> Open(const std::string& path);
  // Validates a buffer the caller keeps alive (tests and fuzzing); nothing is copied.
  static Result<GgufFile> FromMemory(const uint8_t* data, size_t size);

  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;
  ~GgufFile();

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  size_t file_size() const { return size_; }
  size_t data_offset() const { return data_offset_; }

  const std::vector<GgufKv>& metadata() const { return kvs_; }
  const GgufKv* FindKv(std::string_view key) const;
  bool Has(std::string_view key) const { return FindKv(key) != nullptr; }

  // Typed getters. Missing key -> NotFound; wrong type or out of range -> InvalidArgument.
  Result<std::string_view> GetString(std::string_view key) const;
  Result<uint64_t> GetUint(std::string_view key) const;   // any integer type, must be >= 0
  Result<int64_t> GetInt(std::string_view key) const;     // any integer type
  Result<double> GetFloat(std::string_view key) const;    // f32/f64 or any integer type
  Result<bool> GetBool(std::string_view key) const;
  Result<std::vector<std::string_view>> GetStringArray(std::string_view key) const;
  Result<std::vector<float>> GetFloatArray(std::string_view key) const;   // f32/f64 elements
  Result<std::vector<int64_t>> GetIntArray(std::string_view key) const;   // integer elements
  // Renders a value for display (arrays abbreviated).
  std::string ValueToString(const GgufKv& kv, size_t max_elems = 8) const;

  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* FindTensor(std::string_view name) const;

 private:
  GgufFile() = default;
  Status Parse();

  std::unique_ptr<MappedFile> mapping_;  // null when built FromMemory
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  size_t data_offset_ = 0;
  std::vector<GgufKv> kvs_;
  std::vector<GgufTensor> tensors_;
};

}  // namespace deepgate
