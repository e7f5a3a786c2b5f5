#include "fcgi/auth/auth_context.h"

#include "fcgi/auth/jwks.h"

namespace deepgate::fcgi::auth {

Result<std::unique_ptr<AuthContext>> OpenAuth(const AuthConfig& config, const WallClock& clock,
                                              std::unique_ptr<KeyStore> store) {
  auto ctx = std::make_unique<AuthContext>();
  ctx->config = config;
  ctx->clock = &clock;
  ctx->roles = RoleTable(config.roles);
  DG_ASSIGN_OR_RETURN(ctx->secrets.master, LoadSecret(kMasterSecretCredential, config.master_secret_file));
  DG_ASSIGN_OR_RETURN(ctx->secrets.pepper, LoadSecret(kPepperCredential, config.pepper_file));
  DG_ASSIGN_OR_RETURN(ctx->secrets.jwt_key, LoadSecret(kJwtSecretCredential, config.jwt_secret_file));
  ctx->store = std::move(store);

  JwtVerifierConfig jwt;
  jwt.leeway_s = config.leeway_s;
  jwt.roles = ctx->roles.Names();
  JwtIssuerConfig ours;
  ours.issuer = config.jwt_issuer;
  ours.audiences = {config.jwt_audience};
  ours.algorithms = {JwsAlg::kHS256};
  VerificationKey hs;
  hs.kid = kOurJwtKid;
  hs.type = KeyType::kHmac;
  hs.hmac_secret = ctx->secrets.jwt_key;
  ours.keys = {hs};
  ours.ours = true;
  jwt.issuers.push_back(std::move(ours));
  if (config.idp) {
    JwtIssuerConfig idp;
    idp.issuer = config.idp->issuer;
    idp.audiences = {config.idp->audience};
    for (const auto& a : config.idp->algorithms) idp.algorithms.insert(ParseJwsAlg(a));
    DG_ASSIGN_OR_RETURN(idp.keys, LoadJwksFile(config.idp->jwks_file));
    idp.role_claim = config.idp->role_claim;
    idp.role_map = config.idp->role_map;
    jwt.issuers.push_back(std::move(idp));
  }
  ctx->verifier = std::make_unique<CredentialVerifier>(*ctx->store, ctx->secrets.pepper, JwtVerifier(std::move(jwt)));
  return ctx;
}

}  // namespace deepgate::fcgi::auth
