// AuthConfig: the "auth" object of deepgate.json — key store, secret files, JWT issuer and an
// optional external IdP, roles. Defaults live in the initialisers; ParseAuthConfig checks every
// bound at load time. Thread-safety: plain values.
#pragma once

#include <json/value.h>

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "fcgi/auth/roles.h"

namespace deepgate::fcgi::auth {

// An external identity provider whose RS256/ES256 tokens we accept.
struct IdpConfig {
  std::string issuer;                      // exact "iss"
  std::string audience;                    // our audience in its tokens
  std::string jwks_file;                   // its public keys (RFC 7517)
  std::vector<std::string> algorithms = {"RS256", "ES256"};  // never HS*: we hold no IdP secret
  std::string role_claim = "role";         // claim (string or list) naming the role
  std::map<std::string, std::string> role_map;  // IdP value → our role; empty: value is the role

  bool operator==(const IdpConfig&) const = default;
};

struct AuthConfig {
  // false: requests without credentials pass as "anonymous" (everything but /admin/*);
  // presented credentials are still checked. Only for closed test setups.
  bool required = true;
  std::string key_store = "/var/lib/deepgate/keys.db";  // SQLite, 0600
  // Secrets: files 0600/0640 (or systemd credentials of the same base name).
  std::string master_secret_file = "/etc/deepgate/secrets/master_secret";
  std::string pepper_file = "/etc/deepgate/secrets/pepper";
  std::string jwt_secret_file = "/etc/deepgate/secrets/jwt_hs256";
  std::string jwt_issuer = "deepgate";       // "iss" of the tokens /v1/oauth/token issues
  std::string jwt_audience = "deepgate-api"; // their "aud"
  int jwt_ttl_s = 3600;                      // s; at most an hour, so a revoked key's JWTs die soon
  int leeway_s = 30;                         // s; clock skew on exp/nbf, at most 60
  int key_lifetime_days = 90;                // default expiry of new keys
  int rotation_overlap_days = 7;             // old key stays valid this long after a rotation
  int expiry_warning_days = 14;              // key_expiring audit warning, daily, this long before expiry
  int default_requests_per_min = 120;        // for new keys
  // Every admin change (mutating /admin/*) needs a TOTP code from a key enrolled with
  // `deepgate admin totp enroll`; off: only enrolled keys need one (fcgi/auth/totp_guard.h).
  bool totp_required_for_admin = false;
  RoleMap roles = DefaultRoles();
  std::optional<IdpConfig> idp;

  bool operator==(const AuthConfig&) const = default;
};

// systemd credential names of the three secrets (LoadCredential=NAME:PATH).
inline constexpr const char* kMasterSecretCredential = "master_secret";
inline constexpr const char* kPepperCredential = "pepper";
inline constexpr const char* kJwtSecretCredential = "jwt_hs256";

[[nodiscard]] Status ParseAuthConfig(const Json::Value& value, AuthConfig* out);

}  // namespace deepgate::fcgi::auth
