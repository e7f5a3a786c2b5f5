// JWS compact serialisation (RFC 7515 §7.1) as JWTs use it: splitting, strict base64url
// decoding and JSON parsing of header and payload — no policy and no signature checks (those
// are jwt_verifier.h). Also the encoder for the HS256 tokens we issue.
// Thread-safety: stateless functions.
#pragma once

#include <json/value.h>

#include <string>
#include <string_view>

#include "fcgi/auth/auth_failure.h"

namespace deepgate::fcgi::auth {

// Larger bearer tokens are refused before any parsing (bounds work per request).
inline constexpr size_t kMaxTokenBytes = 8192;

// JWS algorithms we know (RFC 7518 §3.1 names). kOther is any other name.
enum class JwsAlg { kNone, kHS256, kRS256, kES256, kOther };
JwsAlg ParseJwsAlg(std::string_view name);
const char* JwsAlgName(JwsAlg alg);

struct ParsedJwt {
  Json::Value header;         // JSON object
  Json::Value payload;        // JSON object (the claims set)
  std::string signing_input;  // "<b64url header>.<b64url payload>", what the signature covers
  std::string signature;      // raw bytes
};

// kNone on success; kTokenTooLarge, kJwtMalformed, kJwtBadBase64 or kJwtBadJson otherwise.
AuthFailure ParseJwt(std::string_view token, ParsedJwt* out);

// header.payload.signature with an HS256 signature under `key`. `header` gets alg and typ.
std::string EncodeHs256Jwt(Json::Value header, const Json::Value& payload, std::string_view key);

}  // namespace deepgate::fcgi::auth
