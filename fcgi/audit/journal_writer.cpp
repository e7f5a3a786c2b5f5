#include "fcgi/audit/journal_writer.h"

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include <cstring>

namespace deepgate::fcgi::audit {

int SdJournalWriter::Send(const std::vector<std::string>& fields) {
  std::vector<iovec> iov(fields.size());
  for (size_t i = 0; i < fields.size(); ++i)
    iov[i] = {const_cast<char*>(fields[i].data()), fields[i].size()};
  return sd_journal_sendv(iov.data(), static_cast<int>(iov.size()));
}

bool JournalSocketPresent(const char* path) {
  // Connecting, not stat(): a socket file left by a journald that is gone refuses the
  // connection, and entries sent there would be lost.
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (std::strlen(path) >= sizeof addr.sun_path) return false;
  std::strcpy(addr.sun_path, path);
  const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace deepgate::fcgi::audit
