#include "fcgi/http/request.h"

#include <cctype>
#include <charconv>
#include <random>

namespace deepgate::fcgi {

const std::string& Request::Header(const std::string& name) const {
  static const std::string kEmpty;
  auto it = headers.find(name);
  return it == headers.end() ? kEmpty : it->second;
}

bool IsAcceptableRequestId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string GenerateRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static const char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (int half = 0; half < 2; ++half) {
    uint64_t x = rng();
    for (int i = 0; i < 16; ++i, x >>= 4) id[half * 16 + i] = kHex[x & 15];
  }
  return id;
}

namespace {

std::string ParamOr(const RequestSource& s, const char* name, const char* def = "") {
  const char* v = s.Param(name);
  return v ? v : def;
}

// HTTP_X_REQUEST_ID → x-request-id
std::string HeaderNameFromParam(std::string_view param) {
  std::string name(param.substr(5));
  for (char& c : name) c = (c == '_') ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

}  // namespace

bool BuildRequest(RequestSource& source, int64_t max_body_bytes, Request* out, ApiError* error) {
  Request& r = *out;
  // nginx passes its own $request_id (or the client's X-Request-Id) as REQUEST_ID.
  for (const char* name : {"REQUEST_ID", "HTTP_X_REQUEST_ID"}) {
    std::string id = ParamOr(source, name);
    if (IsAcceptableRequestId(id)) { r.request_id = std::move(id); break; }
  }
  if (r.request_id.empty()) r.request_id = GenerateRequestId();

  r.method = ParamOr(source, "REQUEST_METHOD", "GET");
  r.remote_addr = ParamOr(source, "REMOTE_ADDR");
  r.client_cert = ParamOr(source, "DEEPGATE_CLIENT_CERT");
  r.query = ParamOr(source, "QUERY_STRING");
  // DOCUMENT_URI is nginx's normalised $uri (decoded, dot segments resolved); REQUEST_URI is
  // the raw fallback for servers that do not send it.
  r.path = ParamOr(source, "DOCUMENT_URI");
  if (r.path.empty()) {
    r.path = ParamOr(source, "REQUEST_URI", "/");
    r.path = r.path.substr(0, r.path.find('?'));
  }
  for (const auto& [name, value] : source.AllParams())
    if (name.size() > 5 && name.compare(0, 5, "HTTP_") == 0) r.headers[HeaderNameFromParam(name)] = std::string(value);
  if (const char* ct = source.Param("CONTENT_TYPE"); ct && *ct) r.headers["content-type"] = ct;

  const std::string length_text = ParamOr(source, "CONTENT_LENGTH");
  int64_t length = 0;
  if (!length_text.empty()) {
    auto [end, ec] = std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    if (ec != std::errc() || end != length_text.data() + length_text.size() || length < 0) {
      *error = ApiError::BadRequest("Content-Length '" + length_text + "' is not a valid length");
      return false;
    }
  }
  if (length > max_body_bytes) {
    *error = ApiError::PayloadTooLarge("Request body is " + std::to_string(length) + " bytes; the limit is " +
                                       std::to_string(max_body_bytes) + " bytes");
    return false;
  }
  r.body.resize(static_cast<size_t>(length));
  int64_t have = 0;
  while (have < length) {
    const int64_t n = source.ReadBody(r.body.data() + have, static_cast<size_t>(length - have));
    if (n <= 0) break;
    have += n;
  }
  if (have < length) {
    *error = ApiError::BadRequest("Request body ended after " + std::to_string(have) + " of " +
                                  std::to_string(length) + " bytes");
    return false;
  }
  return true;
}

}  // namespace deepgate::fcgi
