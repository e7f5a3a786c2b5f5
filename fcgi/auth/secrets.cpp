#include "fcgi/auth/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace deepgate::fcgi::auth {
namespace {

std::string Octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

}  // namespace

Status CheckSecretFileMode(const std::string& path, unsigned mode, bool regular_file) {
  if (!regular_file) return Status::InvalidArgument("secret file " + path + " is not a regular file");
  if (mode & S_IRWXO)
    return Status::InvalidArgument("secret file " + path + " is accessible to other users (mode " + Octal(mode) +
                                   "); run: chmod 0600 " + path);
  if (mode & S_IWGRP)
    return Status::InvalidArgument("secret file " + path + " is group-writable (mode " + Octal(mode) +
                                   "); run: chmod 0640 " + path);
  return Status::Ok();
}

Result<std::string> ReadProtectedFile(const std::string& path, size_t max_bytes, const std::string& what) {
  // O_NOFOLLOW: the mode we check must be the mode of the file we read.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Status::IoError("cannot open " + what + " " + path + ": " + std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Status::IoError("cannot stat " + what + " " + path);
  if (Status s = CheckSecretFileMode(path, st.st_mode, S_ISREG(st.st_mode)); !s.ok()) return s;
  if (st.st_uid != 0 && st.st_uid != ::geteuid())
    return Status::InvalidArgument(what + " " + path + " is owned by uid " + std::to_string(st.st_uid) +
                                   ", neither root nor this process's user; run: chown root " + path);
  std::string content;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError("cannot read " + what + " " + path);
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > max_bytes)
      return Status::InvalidArgument(what + " " + path + " is larger than " + std::to_string(max_bytes / 1024) + " KiB");
  }
  return content;
}

Result<std::string> LoadSecret(const std::string& name, const std::string& configured_path) {
  std::string path = configured_path;
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir && *dir) {
    const std::string candidate = std::string(dir) + "/" + name;
    if (::access(candidate.c_str(), F_OK) == 0) path = candidate;
  }
  if (path.empty()) return Status::InvalidArgument("no file configured for secret '" + name + "'");
  DG_ASSIGN_OR_RETURN(std::string content, ReadProtectedFile(path, 65536, "secret file"));
  if (!content.empty() && content.back() == '\n') content.pop_back();
  if (content.size() < kMinSecretBytes)
    return Status::InvalidArgument("secret file " + path + " holds fewer than " + std::to_string(kMinSecretBytes) +
                                   " bytes; generate one with: openssl rand -hex 32 > " + path);
  return content;
}

}  // namespace deepgate::fcgi::auth
