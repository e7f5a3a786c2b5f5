// Access tokens for the OAuth2 client-credentials exchange (/v1/oauth/token, `deepgate token
// issue`): an HS256 JWT for an API key that has just been verified.
//   header: alg HS256, typ JWT, kid kOurJwtKid (the signing key)
//   claims: iss, aud, sub (API key id), role, iat, exp (≤ ttl, never past the key's expiry),
//           jti (128 random bits), and the key's grants: models, rpm, tpm, conc.
// Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "fcgi/base/principal.h"

namespace deepgate::fcgi::auth {

inline constexpr const char* kOurJwtKid = "deepgate-hs256-1";

struct AccessToken {
  std::string jwt;
  int64_t expires_in = 0;  // seconds from issue
};

struct AccessTokenParams {
  std::string issuer, audience, signing_key;
  int64_t ttl_s = 3600;
};

// `key` must be an authenticated API-key principal (PrincipalForKey).
[[nodiscard]] Result<AccessToken> IssueAccessToken(const Principal& key, const AccessTokenParams& params, int64_t now);

}  // namespace deepgate::fcgi::auth
