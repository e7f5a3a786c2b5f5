#include "fcgi/server/connection_watch.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace deepgate::fcgi {

bool SetWriteTimeout(int fd, int ms) {
  if (fd < 0 || ms <= 0) return false;
  timeval tv{};
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0;
}

bool PeerClosed(int fd) {
  if (fd < 0) return false;
  pollfd p{fd, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace deepgate::fcgi
