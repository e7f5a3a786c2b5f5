#include "fcgi/server/listen_socket.h"

#include <grp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace deepgate::fcgi {
namespace {

Status Errno(const std::string& what) { return Status::IoError(what + ": " + std::strerror(errno)); }

}  // namespace

Result<ListenSocket> OpenListenSocket(const WorkerConfig& config) {
  const int passed = sd_listen_fds(1);  // 1: unset LISTEN_* so children do not inherit them
  if (passed < 0) return Status::IoError(std::string("sd_listen_fds: ") + std::strerror(-passed));
  if (passed > 1) return Status::InvalidArgument("systemd passed " + std::to_string(passed) + " sockets; expected 1");
  if (passed == 1) {
    if (sd_is_socket(SD_LISTEN_FDS_START, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
      return Status::InvalidArgument("fd 3 from systemd is not a listening stream socket");
    return ListenSocket{SD_LISTEN_FDS_START, true, ""};
  }

  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (config.socket_path.size() >= sizeof(addr.sun_path))
    return Status::InvalidArgument("socket_path is longer than " + std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, config.socket_path.c_str(), config.socket_path.size() + 1);

  gid_t gid = static_cast<gid_t>(-1);
  if (!config.socket_group.empty()) {
    const group* g = ::getgrnam(config.socket_group.c_str());
    if (g == nullptr) return Status::InvalidArgument("socket_group '" + config.socket_group + "' does not exist");
    gid = g->gr_gid;
  }

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  // A stale socket from a previous run would make bind fail; only a socket is removed.
  struct stat st {};
  if (::lstat(config.socket_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(config.socket_path.c_str());
  // Create with no permissions, then open up exactly as configured: no window where the
  // umask's default lets others connect.
  const mode_t old_umask = ::umask(0777);
  const int bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  ::umask(old_umask);
  if (bound != 0) {
    Status s = Errno("bind " + config.socket_path);
    ::close(fd);
    return s;
  }
  if (gid != static_cast<gid_t>(-1) && ::chown(config.socket_path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
    Status s = Errno("chown " + config.socket_path);
    ::close(fd);
    return s;
  }
  if (::chmod(config.socket_path.c_str(), static_cast<mode_t>(config.socket_mode)) != 0 ||
      ::listen(fd, config.listen_backlog) != 0) {
    Status s = Errno("listen " + config.socket_path);
    ::close(fd);
    return s;
  }
  return ListenSocket{fd, false, config.socket_path};
}

}  // namespace deepgate::fcgi
