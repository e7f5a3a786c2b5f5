// MappedFile: RAII read-only mmap of a whole file (PROT_READ, MAP_SHARED), so several
// processes serving the same model share one copy of the weights in the page cache.
// Thread-safety: immutable after Open.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace deepgate {

class MappedFile {
 public:
  static Result<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(const uint8_t* data, size_t size, std::string path)
      : data_(data), size_(size), path_(std::move(path)) {}
  const uint8_t* data_;
  size_t size_;
  std::string path_;
};

}  // namespace deepgate
