#include "fcgi/models/durable_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

namespace deepgate::fcgi::models {

std::string ParentDirectory(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string(1, '.') : parent.string();
}

void SyncParentDirectory(const std::string& path) {
  const std::string dir = ParentDirectory(path);
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace deepgate::fcgi::models
