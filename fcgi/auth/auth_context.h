// AuthContext: everything credentials need at run time, opened once from AuthConfig — the
// secrets (checked for safe permissions), the key store, the role table, the verifier.
// Used by the worker and by the `deepgate keys/token` CLI, so both read the same files the
// same way. Thread-safety: immutable after OpenAuth except the store (itself thread-safe).
#pragma once

#include <memory>

#include "core/status.h"
#include "fcgi/auth/access_token.h"
#include "fcgi/auth/auth_config.h"
#include "fcgi/auth/clock.h"
#include "fcgi/auth/credential_verifier.h"
#include "fcgi/auth/key_store.h"
#include "fcgi/auth/roles.h"
#include "fcgi/auth/secrets.h"

namespace deepgate::fcgi::auth {

struct AuthContext {
  AuthConfig config;
  Secrets secrets;
  std::unique_ptr<KeyStore> store;
  RoleTable roles{{}};
  std::unique_ptr<CredentialVerifier> verifier;
  const WallClock* clock = nullptr;

  AccessTokenParams TokenParams() const {
    return {config.jwt_issuer, config.jwt_audience, secrets.jwt_key, config.jwt_ttl_s};
  }
};

// Fails (with a message naming the file, never a secret) when a secret is missing, too short
// or too open, the store cannot be opened, or the IdP's JWKS is unusable. `clock` must outlive
// the context.
// `store`: the key store the caller opened (fcgi/store/open_key_store.h).
[[nodiscard]] Result<std::unique_ptr<AuthContext>> OpenAuth(const AuthConfig& config, const WallClock& clock,
                                                            std::unique_ptr<KeyStore> store);

}  // namespace deepgate::fcgi::auth
