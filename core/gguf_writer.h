// GgufWriter: produces a GGUF v3 file that GgufFile::Open accepts.
//
// Use in three steps: add metadata and declare every tensor (name, type, shape); Begin(path)
// writes the header; then WriteTensorData() streams each tensor's bytes in declaration
// order, in as many whole-row chunks as the caller likes, so a model never has to be held in
// memory whole. Finish() checks every tensor got exactly its size and renames "path.tmp" to
// path, so a reader never sees a half-written file; a writer destroyed before Finish()
// removes its temporary file.
//
// Layout (GGUF v3, little-endian): magic "GGUF", version, n_tensors, n_kv, the key/value
// pairs, the tensor infos, zero padding up to `general.alignment` (written as a u32), then
// tensor data, each tensor starting at an aligned offset with zero padding between them.
// Thread-safety: none; one writer belongs to one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/ggml_type.h"
#include "core/status.h"

namespace deepgate {

class GgufWriter {
 public:
  static constexpr uint32_t kDefaultAlignment = 32;

  // alignment must be a power of two (GgufFile accepts up to 1 MiB).
  explicit GgufWriter(uint32_t alignment = kDefaultAlignment);
  ~GgufWriter();
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  // Metadata. A key may be added once (InvalidArgument otherwise); "general.alignment" is
  // written by the writer itself and cannot be added. Only before Begin().
  Status AddU32(std::string_view key, uint32_t v);
  Status AddI32(std::string_view key, int32_t v);
  Status AddU64(std::string_view key, uint64_t v);
  Status AddF32(std::string_view key, float v);
  Status AddBool(std::string_view key, bool v);
  Status AddString(std::string_view key, std::string_view v);
  Status AddStringArray(std::string_view key, const std::vector<std::string>& v);
  Status AddF32Array(std::string_view key, const std::vector<float>& v);
  Status AddI32Array(std::string_view key, const std::vector<int32_t>& v);

  // Declares a tensor: ne[0] is the row length and must be a whole number of `type` blocks;
  // 1 to 4 dimensions, none zero; names unique. Only before Begin().
  Status AddTensorInfo(std::string_view name, GgmlType type, const std::vector<int64_t>& ne);

  // Creates path + ".tmp" (mode 0644) and writes the header.
  Status Begin(const std::string& path);
  // Appends bytes of the current tensor: a whole number of its rows, never past its end.
  // When a tensor is complete the next declared one becomes current.
  Status WriteTensorData(const void* data, size_t n_bytes);
  // All tensors complete: flushes, syncs and renames the file into place.
  Status Finish();

  size_t n_tensors() const { return tensors_.size(); }
  // Size the file will have (known once all tensors are declared).
  uint64_t FileSize() const;

 private:
  struct TensorInfo {
    std::string name;
    GgmlType type;
    std::vector<int64_t> ne;
    size_t row_bytes = 0;
    uint64_t nbytes = 0;
    uint64_t offset = 0;  // within the data section, aligned
  };
  Status AddKey(std::string_view key, uint32_t type, const std::vector<uint8_t>& value);
  std::vector<uint8_t> EncodeHeader() const;
  uint64_t DataSectionSize() const;
  Status WriteRaw(const void* data, size_t n);
  Status WritePadding(uint64_t n);
  void Abandon();

  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  uint32_t alignment_;
  uint64_t n_kv_ = 0;
  std::vector<uint8_t> kv_bytes_;  // encoded key/value pairs, in insertion order
  std::set<std::string, std::less<>> keys_;
  std::vector<TensorInfo> tensors_;
  std::set<std::string, std::less<>> tensor_names_;

  // Streaming state.
  std::string path_, tmp_path_;
  std::unique_ptr<std::FILE, FileCloser> file_;
  size_t current_ = 0;           // tensor being written
  uint64_t current_written_ = 0; // its bytes so far
  bool began_ = false, finished_ = false, failed_ = false;
};

}  // namespace deepgate
