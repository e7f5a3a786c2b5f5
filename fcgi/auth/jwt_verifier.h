// JwtVerifier: decides whether a JWT is acceptable and, if so, who it names.
//
// Checks run in a fixed, cheap-first order and stop at the first failure, each with its own
// AuthFailure: size → parse (base64url, JSON) → alg (none; configured at all) → iss (known;
// alg allowed for that issuer) → nbf/iat → exp → aud → key (kid, key type) → signature →
// role. The algorithm set comes from configuration per issuer, never from the token.
// A token that passed every check is remembered (keyed by an HMAC of the whole token under a
// per-process random key, so the map holds no token) with its principal and its time window:
// the checks other than nbf/iat/exp depend only on the token and this verifier's fixed config,
// so a repeat presentation re-checks the time window alone and skips base64url, both JSON
// parses and the signature. A config reload builds a new verifier, hence a new cache.
// Thread-safety: Verify is const and may run on any thread (the cache has its own mutex).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fcgi/auth/auth_failure.h"
#include "fcgi/auth/jwt.h"
#include "fcgi/auth/signature.h"
#include "fcgi/base/principal.h"

namespace deepgate::fcgi::auth {

struct JwtIssuerConfig {
  std::string issuer;                   // exact "iss"
  std::vector<std::string> audiences;   // "aud" must name one of these
  std::set<JwsAlg> algorithms;          // e.g. {kHS256} for ours, {kRS256, kES256} for an IdP
  std::vector<VerificationKey> keys;
  std::string role_claim = "role";      // claim that names the role
  std::map<std::string, std::string> role_map;  // claim value → role; empty: the value is the role
  // Our own tokens carry the key's model list and limits (models, rpm, tpm, conc claims) and
  // name the API key in "sub".
  bool ours = false;
};

struct JwtVerifierConfig {
  std::vector<JwtIssuerConfig> issuers;
  int64_t leeway_s = 30;           // clock skew allowed on exp/nbf/iat (≤ 60)
  std::set<std::string> roles;     // roles that exist; a token naming another gets kJwtNoRole
};

class JwtVerifier {
 public:
  explicit JwtVerifier(JwtVerifierConfig config);
  // kNone and *out filled, or the reason the token is refused.
  AuthFailure Verify(std::string_view token, int64_t now, Principal* out) const;

 private:
  struct Verified {
    Principal principal;
    int64_t not_before = INT64_MIN;  // max(nbf, iat) when present
    int64_t exp = 0;
  };
  struct Cache {
    std::string key;  // 32 random bytes; empty: caching off
    std::mutex mu;
    std::unordered_map<std::string, Verified> entries;  // GUARDED_BY(mu): HMAC(key, token) →
  };
  static constexpr size_t kCacheMaxEntries = 16384;  // then cleared: a miss only costs a full check

  AuthFailure VerifyUncached(std::string_view token, int64_t now, Verified* out) const;
  AuthFailure CheckTimes(const Verified& v, int64_t now) const;

  JwtVerifierConfig config_;
  std::shared_ptr<Cache> cache_;  // shared by copies (same config)
  std::set<JwsAlg> any_allowed_;  // union over issuers: the cheap alg check before iss
};

}  // namespace deepgate::fcgi::auth
