// ApiError: an HTTP error answer in OpenAI's shape, {"error":{"message","type","param","code"}}.
//
// Named constructors pick the status, the OpenAI `type` string and a stable `code`, so every
// handler answers the same way for the same failure. Thread-safety: plain values.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "fcgi/base/refusal.h"

namespace deepgate::fcgi {

struct ApiError {
  int http_status = 500;
  std::string type;     // "invalid_request_error", "not_found_error", "server_error", ...
  std::string message;  // precise and safe to show the client
  std::string param;    // the offending request field, "" for none (sent as null)
  std::string code;     // stable machine-readable reason, "" for none (sent as null)
  int retry_after_s = 0;                                    // > 0 adds Retry-After
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Allow on 405

  static ApiError BadRequest(std::string message, std::string param = "", std::string code = "invalid_request");
  static ApiError Unauthenticated(std::string message);
  static ApiError Forbidden(std::string message);
  static ApiError NotFound(std::string message, std::string code = "not_found");
  static ApiError MethodNotAllowed(const std::string& method, const std::string& path, const std::string& allow);
  static ApiError PayloadTooLarge(std::string message);
  static ApiError RateLimited(std::string message, int retry_after_s);
  static ApiError Unavailable(std::string message, std::string code, int retry_after_s);
  static ApiError Internal(std::string message);

  // Maps a Status from a lower layer onto the matching answer (InvalidArgument → 400, …).
  static ApiError FromStatus(const Status& status, int retry_after_s = 1);
  // A stage's refusal: its status, code and param, and its own Retry-After when it has one.
  static ApiError FromRefusal(const Refusal& refusal, int retry_after_s);

  // The JSON body.
  std::string Body() const;
};

// "Not Found" for 404 and so on; "" for codes we never send.
const char* HttpReasonPhrase(int status);

}  // namespace deepgate::fcgi
