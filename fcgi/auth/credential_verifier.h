// CredentialVerifier: a bearer token → Principal or the reason it is refused. The one entry
// point for both credential kinds: "dg_…" API keys (looked up by id in the key store, compared
// by keyed hash in constant time) and JWTs (jwt_verifier.h). `now` is a parameter, so the
// outcome is a function of (token, keys, now) and tests move time freely.
// Thread-safety: const methods over a thread-safe KeyStore; call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "fcgi/auth/auth_failure.h"
#include "fcgi/auth/jwt_verifier.h"
#include "fcgi/auth/key_store.h"
#include "fcgi/base/principal.h"

namespace deepgate::fcgi::auth {

struct Verdict {
  AuthFailure failure = AuthFailure::kNone;
  Principal principal;  // valid when ok()
  std::string key_id;   // the API key id the token named, also on failure ("" if none): for logs
  bool ok() const { return failure == AuthFailure::kNone; }
};

class CredentialVerifier {
 public:
  CredentialVerifier(KeyStore& store, std::string pepper, JwtVerifier jwt)
      : store_(store), pepper_(std::move(pepper)), jwt_(std::move(jwt)) {}

  Verdict Verify(std::string_view token, int64_t now) const;

 private:
  Verdict VerifyApiKey(std::string_view token, int64_t now) const;

  KeyStore& store_;
  const std::string pepper_;
  const JwtVerifier jwt_;
};

// A Principal for a key record (no checks): what an API key, or a JWT issued for it, grants.
Principal PrincipalForKey(const KeyRecord& record);

}  // namespace deepgate::fcgi::auth
