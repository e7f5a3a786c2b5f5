#include "fcgi/auth/access_token.h"

#include <algorithm>

#include "fcgi/auth/crypto.h"
#include "fcgi/auth/jwt.h"

namespace deepgate::fcgi::auth {

Result<AccessToken> IssueAccessToken(const Principal& key, const AccessTokenParams& params, int64_t now) {
  if (!key.authenticated || key.method != "api_key" || key.key_id.empty())
    return Status::InvalidArgument("access tokens are issued for API keys only");
  const int64_t exp = std::min(now + params.ttl_s, key.expires_at);
  if (exp <= now) return Status::InvalidArgument("the key expires now");
  DG_ASSIGN_OR_RETURN(std::string jti, RandomBytes(16));
  Json::Value header(Json::objectValue);
  header["kid"] = kOurJwtKid;
  Json::Value claims(Json::objectValue);
  claims["iss"] = params.issuer;
  claims["aud"] = params.audience;
  claims["sub"] = key.key_id;
  claims["role"] = key.role;
  claims["iat"] = Json::Int64(now);
  claims["exp"] = Json::Int64(exp);
  claims["jti"] = HexEncode(jti);
  Json::Value models(Json::arrayValue);
  for (const auto& m : key.allowed_models) models.append(m);
  claims["models"] = models;
  claims["rpm"] = Json::Int64(key.requests_per_min);
  claims["tpm"] = Json::Int64(key.tokens_per_min);
  claims["conc"] = Json::Int64(key.max_concurrent);
  return AccessToken{EncodeHs256Jwt(header, claims, params.signing_key), exp - now};
}

}  // namespace deepgate::fcgi::auth
