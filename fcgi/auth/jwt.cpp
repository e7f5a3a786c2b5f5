#include "fcgi/auth/jwt.h"

#include "fcgi/auth/crypto.h"
#include "fcgi/http/json.h"

namespace deepgate::fcgi::auth {

JwsAlg ParseJwsAlg(std::string_view name) {
  // "none" in any case: RFC 7518 names it in lower case, attackers try "None" and "NONE".
  if (name.size() == 4) {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lower == "none") return JwsAlg::kNone;
  }
  if (name == "HS256") return JwsAlg::kHS256;
  if (name == "RS256") return JwsAlg::kRS256;
  if (name == "ES256") return JwsAlg::kES256;
  return JwsAlg::kOther;
}

const char* JwsAlgName(JwsAlg alg) {
  switch (alg) {
    case JwsAlg::kNone: return "none";
    case JwsAlg::kHS256: return "HS256";
    case JwsAlg::kRS256: return "RS256";
    case JwsAlg::kES256: return "ES256";
    case JwsAlg::kOther: break;
  }
  return "other";
}

AuthFailure ParseJwt(std::string_view token, ParsedJwt* out) {
  if (token.size() > kMaxTokenBytes) return AuthFailure::kTokenTooLarge;
  const size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return AuthFailure::kJwtMalformed;
  const size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
    return AuthFailure::kJwtMalformed;  // JWE (5 parts) and JSON serialisation are not accepted
  const std::string_view h = token.substr(0, dot1), p = token.substr(dot1 + 1, dot2 - dot1 - 1),
                         s = token.substr(dot2 + 1);
  if (h.empty() || p.empty()) return AuthFailure::kJwtMalformed;
  std::optional<std::string> header = Base64UrlDecode(h), payload = Base64UrlDecode(p), sig = Base64UrlDecode(s);
  if (!header || !payload || !sig) return AuthFailure::kJwtBadBase64;
  Result<Json::Value> hj = ParseJsonObject(*header);
  if (!hj.ok()) return AuthFailure::kJwtBadJson;
  Result<Json::Value> pj = ParseJsonObject(*payload);
  if (!pj.ok()) return AuthFailure::kJwtBadJson;
  out->header = std::move(hj).value();
  out->payload = std::move(pj).value();
  out->signing_input = std::string(token.substr(0, dot2));
  out->signature = std::move(*sig);
  return AuthFailure::kNone;
}

std::string EncodeHs256Jwt(Json::Value header, const Json::Value& payload, std::string_view key) {
  header["alg"] = "HS256";
  header["typ"] = "JWT";
  const std::string input = Base64UrlEncode(WriteJson(header)) + "." + Base64UrlEncode(WriteJson(payload));
  return input + "." + Base64UrlEncode(HmacSha256(key, input));
}

}  // namespace deepgate::fcgi::auth
