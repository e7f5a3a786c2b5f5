// SHA-256 of a model file, streamed over a read-only mmap in large chunks (OpenSSL EVP), so
// hashing a 70 GB model costs no heap and shares the page cache with the engine's own map of
// the same file: the weights are never held twice. Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/status.h"

namespace deepgate::fcgi::models {

// Called after every chunk with bytes hashed so far and the file's size.
using DigestProgress = std::function<void(uint64_t done, uint64_t total)>;

struct FileDigest {
  std::string sha256_hex;  // 64 lower-case hex digits
  uint64_t bytes = 0;
  double seconds = 0;      // wall time of the hash (MB/s = bytes / 1e6 / seconds)
};

[[nodiscard]] Result<FileDigest> Sha256File(const std::string& path, const DigestProgress& progress = nullptr);

// True for 64 hex digits (either case).
bool IsSha256Hex(const std::string& s);

}  // namespace deepgate::fcgi::models
