#include "fcgi/models/secure_delete.h"

#include "fcgi/models/durable_dir.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace deepgate::fcgi::models {
namespace {

constexpr size_t kBlock = size_t{4} << 20;  // bytes per write

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

Status Errno(const std::string& what, const std::string& path) {
  return Status::IoError(what + " '" + path + "': " + std::strerror(errno));
}

// One pass over [0, size): random bytes (fresh per block) or zeros; then fsync.
Status OverwritePass(int fd, const std::string& path, uint64_t size, bool random) {
  std::vector<unsigned char> buf(kBlock, 0);  // [kBlock] bytes
  for (uint64_t off = 0; off < size;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kBlock, size - off));
    if (random && RAND_bytes(buf.data(), static_cast<int>(n)) != 1) return Status::Internal("RAND_bytes failed");
    const ssize_t w = ::pwrite(fd, buf.data(), n, static_cast<off_t>(off));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return Errno("cannot overwrite", path);
    off += static_cast<uint64_t>(w);
  }
  if (::fsync(fd) != 0) return Errno("cannot fsync", path);
  return Status::Ok();
}

}  // namespace

Result<ShredReport> ShredFile(const std::string& path, const ShredOptions& options) {
  if (options.random_passes < 0 || options.random_passes > 100)
    return Status::InvalidArgument("random passes must be in [0, 100]");
  Fd f;
  // O_NOFOLLOW: shred the file named, never a symlink's target somewhere else.
  f.fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (f.fd < 0) return Errno("cannot open", path);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return Errno("cannot stat", path);
  if (!S_ISREG(st.st_mode)) return Status::InvalidArgument("'" + path + "' is not a regular file");
  ShredReport report;
  report.bytes = static_cast<uint64_t>(st.st_size);
  report.links = static_cast<uint64_t>(st.st_nlink);
  report.passes = options.random_passes + 1;
  for (int pass = 1; pass <= report.passes; ++pass) {
    DG_RETURN_IF_ERROR(OverwritePass(f.fd, path, report.bytes, pass <= options.random_passes));
    if (options.on_pass) options.on_pass(pass, report.passes);
  }
  if (!options.keep_size) {
    if (::ftruncate(f.fd, 0) != 0) return Errno("cannot truncate", path);
    if (::fsync(f.fd) != 0) return Errno("cannot fsync", path);
  }
  ::close(f.fd);
  f.fd = -1;
  if (::unlink(path.c_str()) != 0) return Errno("cannot unlink", path);
  SyncParentDirectory(path);  // make the unlink durable
  return report;
}

}  // namespace deepgate::fcgi::models
