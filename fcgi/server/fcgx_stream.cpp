#include "fcgi/server/fcgx_stream.h"

#include <climits>
#include <cstring>

#include "fcgi/server/connection_watch.h"

namespace deepgate::fcgi {

const char* FcgxRequestSource::Param(const char* name) const { return FCGX_GetParam(name, request_.envp); }

std::vector<std::pair<std::string_view, std::string_view>> FcgxRequestSource::AllParams() const {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  out.reserve(48);
  for (char** e = request_.envp; e && *e; ++e) {
    const char* eq = std::strchr(*e, '=');
    if (eq == nullptr) continue;
    out.emplace_back(std::string_view(*e, static_cast<size_t>(eq - *e)), std::string_view(eq + 1));
  }
  return out;
}

int64_t FcgxRequestSource::ReadBody(char* buf, size_t n) {
  const int chunk = n > INT_MAX ? INT_MAX : static_cast<int>(n);
  const int got = FCGX_GetStr(buf, chunk, request_.in);
  if (got < 0 || FCGX_GetError(request_.in) != 0) return -1;
  return got;
}

FcgxByteSink::FcgxByteSink(FCGX_Request& request, int write_timeout_ms) : request_(request) {
  if (write_timeout_ms > 0) (void)SetWriteTimeout(request_.ipcFd, write_timeout_ms);
}

bool FcgxByteSink::PeerGone() { return PeerClosed(request_.ipcFd); }

bool FcgxByteSink::Write(std::string_view bytes) {
  while (!bytes.empty()) {
    const int chunk = bytes.size() > INT_MAX ? INT_MAX : static_cast<int>(bytes.size());
    if (FCGX_PutStr(bytes.data(), chunk, request_.out) != chunk) return false;
    bytes.remove_prefix(static_cast<size_t>(chunk));
  }
  return true;
}

bool FcgxByteSink::Flush() { return FCGX_FFlush(request_.out) == 0; }

}  // namespace deepgate::fcgi
