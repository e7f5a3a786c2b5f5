// The FastCGI listening socket: the one systemd passed (socket activation, LISTEN_FDS) or a
// unix socket the worker creates at config.socket_path with config.socket_mode/group so
// nginx's worker user can connect. Thread-safety: used once at startup.
#pragma once

#include <string>

#include "core/status.h"
#include "fcgi/config.h"

namespace deepgate::fcgi {

struct ListenSocket {
  int fd = -1;
  bool from_systemd = false;
  std::string path;  // "" when from systemd; unlinked at exit when we created it
};

[[nodiscard]] Result<ListenSocket> OpenListenSocket(const WorkerConfig& config);

}  // namespace deepgate::fcgi
