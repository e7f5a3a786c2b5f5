#include "fcgi/http/api_error.h"

#include "fcgi/http/json.h"

namespace deepgate::fcgi {

ApiError ApiError::BadRequest(std::string message, std::string param, std::string code) {
  return {400, "invalid_request_error", std::move(message), std::move(param), std::move(code), 0, {}};
}
ApiError ApiError::Unauthenticated(std::string message) {
  return {401, "authentication_error", std::move(message), "", "invalid_api_key", 0, {}};
}
ApiError ApiError::Forbidden(std::string message) {
  return {403, "permission_error", std::move(message), "", "permission_denied", 0, {}};
}
ApiError ApiError::NotFound(std::string message, std::string code) {
  return {404, "not_found_error", std::move(message), "", std::move(code), 0, {}};
}
ApiError ApiError::MethodNotAllowed(const std::string& method, const std::string& path, const std::string& allow) {
  ApiError e{405, "invalid_request_error",
             "Method " + method + " is not allowed on " + path + "; allowed: " + allow, "", "method_not_allowed", 0, {}};
  e.headers.emplace_back("Allow", allow);
  return e;
}
ApiError ApiError::PayloadTooLarge(std::string message) {
  return {413, "invalid_request_error", std::move(message), "", "request_too_large", 0, {}};
}
ApiError ApiError::RateLimited(std::string message, int retry_after_s) {
  return {429, "rate_limit_error", std::move(message), "", "rate_limit_exceeded", retry_after_s, {}};
}
ApiError ApiError::Unavailable(std::string message, std::string code, int retry_after_s) {
  return {503, "server_error", std::move(message), "", std::move(code), retry_after_s, {}};
}
ApiError ApiError::Internal(std::string message) {
  return {500, "server_error", std::move(message), "", "internal_error", 0, {}};
}

ApiError ApiError::FromStatus(const Status& s, int retry_after_s) {
  switch (s.code()) {
    case StatusCode::kInvalidArgument: return BadRequest(s.message());
    case StatusCode::kUnauthenticated: return Unauthenticated(s.message());
    case StatusCode::kPermissionDenied: return Forbidden(s.message());
    case StatusCode::kNotFound: return NotFound(s.message());
    case StatusCode::kResourceExhausted: return RateLimited(s.message(), retry_after_s);
    case StatusCode::kUnavailable: return Unavailable(s.message(), "overloaded", retry_after_s);
    case StatusCode::kUnimplemented: return BadRequest(s.message(), "", "unsupported");
    case StatusCode::kOk:
    case StatusCode::kIoError:
    case StatusCode::kInternal: break;
  }
  // I/O and internal failures: the detail is for the log, not the client.
  return Internal("The server failed to process the request");
}

ApiError ApiError::FromRefusal(const Refusal& r, int retry_after_s) {
  ApiError e = FromStatus(r.status, r.retry_after_s > 0 ? r.retry_after_s : retry_after_s);
  if (!r.error_code.empty()) e.code = r.error_code;
  if (!r.param.empty()) e.param = r.param;
  return e;
}

std::string ApiError::Body() const {
  Json::Value error(Json::objectValue);
  error["message"] = message;
  error["type"] = type;
  error["param"] = param.empty() ? Json::Value(Json::nullValue) : Json::Value(param);
  error["code"] = code.empty() ? Json::Value(Json::nullValue) : Json::Value(code);
  Json::Value root(Json::objectValue);
  root["error"] = std::move(error);
  return WriteJson(root);
}

const char* HttpReasonPhrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "";
  }
}

}  // namespace deepgate::fcgi
