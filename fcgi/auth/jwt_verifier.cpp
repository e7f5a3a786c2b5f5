#include "fcgi/auth/jwt_verifier.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "fcgi/auth/crypto.h"

namespace deepgate::fcgi::auth {
namespace {

// NumericDate (RFC 7519 §2): a JSON number; fractions are truncated.
enum class Claim { kAbsent, kBad, kOk };
Claim NumericDate(const Json::Value& payload, const char* name, int64_t* out) {
  if (!payload.isMember(name)) return Claim::kAbsent;
  const Json::Value& v = payload[name];
  if (!v.isNumeric() || v.isBool()) return Claim::kBad;
  const double d = v.asDouble();
  if (!(d > -1e15 && d < 1e15)) return Claim::kBad;
  *out = static_cast<int64_t>(d);
  return Claim::kOk;
}

bool AudienceMatches(const Json::Value& aud, const std::vector<std::string>& ours) {
  auto one = [&](const Json::Value& v) {
    if (!v.isString()) return false;
    for (const auto& a : ours)
      if (v.asString() == a) return true;
    return false;
  };
  if (aud.isString()) return one(aud);
  if (aud.isArray()) {
    for (const auto& v : aud)
      if (one(v)) return true;
  }
  return false;
}

int64_t IntClaim(const Json::Value& payload, const char* name) {
  const Json::Value& v = payload[name];
  return v.isIntegral() && !v.isBool() && v.asInt64() >= 0 ? v.asInt64() : 0;
}

}  // namespace

JwtVerifier::JwtVerifier(JwtVerifierConfig config) : config_(std::move(config)), cache_(std::make_shared<Cache>()) {
  for (const auto& i : config_.issuers) any_allowed_.insert(i.algorithms.begin(), i.algorithms.end());
  // Without a random key the cache stays off (every token gets the full check).
  if (Result<std::string> key = RandomBytes(32); key.ok()) cache_->key = std::move(key).value();
}

AuthFailure JwtVerifier::CheckTimes(const Verified& v, int64_t now) const {
  if (v.not_before > now + config_.leeway_s) return AuthFailure::kJwtNotYetValid;
  if (now >= v.exp + config_.leeway_s) return AuthFailure::kJwtExpired;
  return AuthFailure::kNone;
}

AuthFailure JwtVerifier::Verify(std::string_view token, int64_t now, Principal* out) const {
  std::string id;
  if (!cache_->key.empty() && token.size() <= kMaxTokenBytes) {
    id = HmacSha256(cache_->key, token);
    std::lock_guard<std::mutex> lock(cache_->mu);
    if (auto it = cache_->entries.find(id); !id.empty() && it != cache_->entries.end()) {
      const AuthFailure f = CheckTimes(it->second, now);
      if (f == AuthFailure::kNone) *out = it->second.principal;
      return f;
    }
  }
  Verified v;
  const AuthFailure f = VerifyUncached(token, now, &v);
  if (f != AuthFailure::kNone) return f;
  *out = v.principal;
  if (!id.empty()) {
    std::lock_guard<std::mutex> lock(cache_->mu);
    if (cache_->entries.size() >= kCacheMaxEntries) cache_->entries.clear();
    cache_->entries.emplace(std::move(id), std::move(v));
  }
  return AuthFailure::kNone;
}

namespace {
// "JWT", "at+jwt", optionally with the "application/" prefix; case-insensitive (RFC 7515 §4.1.9).
bool AcceptableTyp(const Json::Value& typ) {
  if (!typ.isString()) return false;
  std::string t = typ.asString();
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t.rfind("application/", 0) == 0) t.erase(0, 12);
  return t == "jwt" || t == "at+jwt";
}
}  // namespace

AuthFailure JwtVerifier::VerifyUncached(std::string_view token, int64_t now, Verified* out) const {
  // 1. parse
  ParsedJwt jwt;
  if (AuthFailure f = ParseJwt(token, &jwt); f != AuthFailure::kNone) return f;
  // RFC 7515 §4.1.11: extensions we do not understand must make the token invalid.
  if (jwt.header.isMember("crit")) return AuthFailure::kJwtMalformed;
  // RFC 8725 §3.11 / RFC 9068: a typ, when present, must say this is a JWT (or an access
  // token), so a token of another kind signed by the same key is not taken for one.
  if (jwt.header.isMember("typ") && !AcceptableTyp(jwt.header["typ"])) return AuthFailure::kJwtBadType;
  // 2. alg, before anything depends on it
  if (!jwt.header["alg"].isString()) return AuthFailure::kJwtBadJson;
  const JwsAlg alg = ParseJwsAlg(jwt.header["alg"].asString());
  if (alg == JwsAlg::kNone) return AuthFailure::kJwtAlgNone;
  if (!any_allowed_.count(alg)) return AuthFailure::kJwtAlgNotAllowed;
  // 3. iss, then the alg must be one this issuer signs with
  const Json::Value& iss = jwt.payload["iss"];
  const JwtIssuerConfig* issuer = nullptr;
  if (iss.isString())
    for (const auto& i : config_.issuers)
      if (i.issuer == iss.asString()) issuer = &i;
  if (issuer == nullptr) return AuthFailure::kJwtUnknownIssuer;
  if (!issuer->algorithms.count(alg)) return AuthFailure::kJwtAlgNotAllowed;
  // 4. nbf / iat: not before
  int64_t nbf = 0, iat = 0, exp = 0;
  Claim c = NumericDate(jwt.payload, "nbf", &nbf);
  if (c == Claim::kBad) return AuthFailure::kJwtBadJson;
  if (c == Claim::kOk && nbf > now + config_.leeway_s) return AuthFailure::kJwtNotYetValid;
  if (c == Claim::kOk) out->not_before = std::max(out->not_before, nbf);
  c = NumericDate(jwt.payload, "iat", &iat);
  if (c == Claim::kBad) return AuthFailure::kJwtBadJson;
  if (c == Claim::kOk && iat > now + config_.leeway_s) return AuthFailure::kJwtNotYetValid;
  if (c == Claim::kOk) out->not_before = std::max(out->not_before, iat);
  // 5. exp: required, a token without one would be valid forever
  c = NumericDate(jwt.payload, "exp", &exp);
  if (c == Claim::kAbsent) return AuthFailure::kJwtMissingExp;
  if (c == Claim::kBad) return AuthFailure::kJwtBadJson;
  if (now >= exp + config_.leeway_s) return AuthFailure::kJwtExpired;
  // 6. aud
  if (!AudienceMatches(jwt.payload["aud"], issuer->audiences)) return AuthFailure::kJwtBadAudience;
  // 7. key: by kid; without one only when the issuer has exactly one key
  // get(), not operator[]: the non-const operator[] would insert a null "kid".
  const Json::Value kid = jwt.header.get("kid", Json::Value());
  if (jwt.header.isMember("kid") && !kid.isString()) return AuthFailure::kJwtBadJson;
  const VerificationKey* key = nullptr;
  if (kid.isString()) {
    for (const auto& k : issuer->keys)
      if (k.kid == kid.asString()) key = &k;
  } else if (issuer->keys.size() == 1) {
    key = &issuer->keys[0];
  }
  if (key == nullptr) return AuthFailure::kJwtUnknownKid;
  if (!KeyFitsAlg(alg, *key)) return AuthFailure::kJwtKeyTypeMismatch;
  // 8. signature
  if (!VerifyJwsSignature(alg, *key, jwt.signing_input, jwt.signature)) return AuthFailure::kJwtBadSignature;
  // 9. who: sub and a role we know
  const Json::Value& sub = jwt.payload["sub"];
  if (!sub.isString() || sub.asString().empty() || sub.asString().size() > 256) return AuthFailure::kJwtBadJson;
  const Json::Value& role_claim = jwt.payload[issuer->role_claim];
  std::string role;
  auto map_value = [&](const Json::Value& v) {
    if (!v.isString()) return;
    std::string r = v.asString();
    // Our own tokens name our roles; any other issuer's values go through its role map, and
    // a value the map does not list (or an empty map) gives no role.
    if (!issuer->ours) {
      auto it = issuer->role_map.find(r);
      r = it == issuer->role_map.end() ? "" : it->second;
    }
    if (role.empty() && config_.roles.count(r)) role = r;
  };
  if (role_claim.isArray()) {
    for (const auto& v : role_claim) map_value(v);  // IdPs often send a list of groups
  } else {
    map_value(role_claim);
  }
  if (role.empty()) return AuthFailure::kJwtNoRole;

  Principal p;
  p.authenticated = true;
  p.method = "jwt";
  // Each kind of principal has its own namespace for rate limits, engine share and cache
  // scope: an IdP user whose sub equals a key id (or "anonymous") shares nothing with it.
  // The data subject audit pseudonyms and erasure go by stays the plain sub (a key id for ours).
  const std::string plain_sub = sub.asString();
  p.subject = issuer->ours ? "key:" + plain_sub : "idp:" + issuer->issuer + ":" + plain_sub;
  p.data_subject = plain_sub;
  p.role = role;
  p.expires_at = exp;
  out->exp = exp;
  if (issuer->ours) {
    p.key_id = plain_sub;
    for (const auto& m : jwt.payload["models"])
      if (m.isString()) p.allowed_models.push_back(m.asString());
    p.requests_per_min = IntClaim(jwt.payload, "rpm");
    p.tokens_per_min = IntClaim(jwt.payload, "tpm");
    p.max_concurrent = IntClaim(jwt.payload, "conc");
  }
  out->principal = std::move(p);
  return AuthFailure::kNone;
}

}  // namespace deepgate::fcgi::auth
