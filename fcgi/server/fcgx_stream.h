// Adapters from one libfcgi FCGX_Request to the worker's RequestSource and ByteSink.
// Thread-safety: one adapter per request, used by the thread that accepted it.
#pragma once

#include <fcgiapp.h>

#include "fcgi/http/request.h"
#include "fcgi/http/response_writer.h"

namespace deepgate::fcgi {

class FcgxRequestSource final : public RequestSource {
 public:
  explicit FcgxRequestSource(FCGX_Request& request) : request_(request) {}
  const char* Param(const char* name) const override;
  std::vector<std::pair<std::string_view, std::string_view>> AllParams() const override;
  int64_t ReadBody(char* buf, size_t n) override;

 private:
  FCGX_Request& request_;
};

// Write failures and FCGX_FFlush == -1 (EPIPE once nginx dropped the connection, or a write
// that made no progress for write_timeout_ms) are reported as false: the client is gone.
class FcgxByteSink final : public ByteSink {
 public:
  // write_timeout_ms 0: writes may block indefinitely.
  explicit FcgxByteSink(FCGX_Request& request, int write_timeout_ms = 0);
  bool Write(std::string_view bytes) override;
  bool Flush() override;
  bool PeerGone() override;

 private:
  FCGX_Request& request_;
};

}  // namespace deepgate::fcgi
