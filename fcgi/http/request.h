// Request: one HTTP request as nginx handed it over FastCGI, and BuildRequest, which reads it
// from a RequestSource (the FastCGI stream in the worker, a fake in tests).
//
// The body is read only up to a limit: a CONTENT_LENGTH above it is answered 413 without
// reading a byte of the body. Thread-safety: a Request is a plain value owned by one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "fcgi/http/api_error.h"

namespace deepgate::fcgi {

struct Request {
  std::string method;       // "GET", "POST", ...
  std::string path;         // normalised path without the query ("/v1/models")
  std::string query;        // raw query string, "" if none
  std::map<std::string, std::string> headers;  // lower-case names: "content-type", "x-request-id"
  std::string body;
  std::string remote_addr;  // client address as nginx saw it (REMOTE_ADDR)
  std::string request_id;   // from nginx, the client (validated) or generated
  // The client certificate nginx verified (PEM, FastCGI param DEEPGATE_CLIENT_CERT, sent only
  // when $ssl_client_verify is SUCCESS); "" when none. Never taken from a header.
  std::string client_cert;

  // Header value or "" when absent. `name` in lower case.
  const std::string& Header(const std::string& name) const;
};

// Where a request comes from: FastCGI params plus the body stream.
class RequestSource {
 public:
  virtual ~RequestSource() = default;
  // A FastCGI param ("REQUEST_METHOD", "HTTP_X_REQUEST_ID"), or nullptr when absent.
  virtual const char* Param(const char* name) const = 0;
  // Every param as NAME=VALUE pairs (for collecting HTTP_* headers); the views live as long
  // as the source (no copy of the ~30 params nginx sends per request).
  virtual std::vector<std::pair<std::string_view, std::string_view>> AllParams() const = 0;
  // Reads up to n body bytes; returns bytes read, 0 at end of body, -1 on error.
  virtual int64_t ReadBody(char* buf, size_t n) = 0;
};

// Builds the request; on failure returns the error to answer (400 bad Content-Length,
// 413 body over max_body_bytes). The request id is filled in even on failure so the error
// response can echo it.
[[nodiscard]] bool BuildRequest(RequestSource& source, int64_t max_body_bytes, Request* out, ApiError* error);

// A request id is echoed in a response header and written to logs, so only short ids made
// of [A-Za-z0-9._-] are accepted from outside.
bool IsAcceptableRequestId(const std::string& id);
std::string GenerateRequestId();  // 32 random hex digits

}  // namespace deepgate::fcgi
