#include "fcgi/models/file_digest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <chrono>
#include <cstring>
#include <memory>

namespace deepgate::fcgi::models {
namespace {

// 64 MiB per EVP update: large enough that call overhead vanishes, small enough for a smooth
// progress bar. The map is MAP_SHARED/PROT_READ like the engine's, so the pages read here stay
// in the page cache for the engine's own map instead of being read a second time.
constexpr size_t kChunk = size_t{64} << 20;

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

bool IsSha256Hex(const std::string& s) {
  if (s.size() != 64) return false;
  for (unsigned char c : s)
    if (!std::isxdigit(c)) return false;
  return true;
}

Result<FileDigest> Sha256File(const std::string& path, const DigestProgress& progress) {
  const auto start = std::chrono::steady_clock::now();
  Fd f;
  f.fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (f.fd < 0) return Status::IoError("cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return Status::IoError("cannot stat '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("'" + path + "' is not a regular file");
  const uint64_t size = static_cast<uint64_t>(st.st_size);

  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return Status::Internal("EVP sha256 init failed");
  if (size > 0) {
    void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, f.fd, 0);
    if (p == MAP_FAILED) return Status::IoError("cannot mmap '" + path + "': " + std::strerror(errno));
    std::unique_ptr<void, std::function<void(void*)>> unmap(p, [size](void* q) { ::munmap(q, size); });
    ::madvise(p, size, MADV_SEQUENTIAL);
    const auto* bytes = static_cast<const uint8_t*>(p);
    for (uint64_t off = 0; off < size;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(kChunk, size - off));
      if (EVP_DigestUpdate(ctx.get(), bytes + off, n) != 1) return Status::Internal("EVP sha256 update failed");
      off += n;
      if (progress) progress(off, size);
    }
  } else if (progress) {
    progress(0, 0);
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) return Status::Internal("EVP sha256 final failed");
  static const char* kHex = "0123456789abcdef";
  FileDigest d;
  for (unsigned int i = 0; i < len; ++i) {
    d.sha256_hex += kHex[md[i] >> 4];
    d.sha256_hex += kHex[md[i] & 15];
  }
  d.bytes = size;
  d.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return d;
}

}  // namespace deepgate::fcgi::models
