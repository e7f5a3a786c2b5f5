// JwtVerifier: decides whether a JWT is acceptable and, if so, who it names.
//
// Checks run in a fixed, cheap-first order and stop at the first failure, each with its own
// AuthFailure: size → parse (base64url, JSON) → alg (none; configured at all) → iss (known;
// alg allowed for that issuer) → nbf/iat → exp → aud → key (kid, key type) → signature →
// role. The algorithm set comes from configuration per issuer, never from the token.
// Thread-safety: immutable after construction; Verify is const and may run on any thread.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fcgi/auth/auth_failure.h"
#include "fcgi/auth/jwt.h"
#include "fcgi/auth/signature.h"
#include "fcgi/server/stages.h"

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
  JwtVerifierConfig config_;
  std::set<JwsAlg> any_allowed_;  // union over issuers: the cheap alg check before iss
};

}  // namespace deepgate::fcgi::auth
