// The credential stages of the pipeline (fcgi/base/stages.h) over AuthContext:
//   BearerAuthenticator — "Authorization: Bearer <API key | JWT>" → Principal, or 401;
//   RoleAuthoriser      — role → route names (roles.h), or 403 permission_denied;
//   CheckModelAllowed   — the per-key model allow-list, called by the generation flow once
//                         it has parsed "model" (the authoriser cannot see the body).
// Every refusal carries its AuthFailure reason and the key id (never the token) for the audit
// trail (Refusal); the client only sees a generic message.
// Thread-safety: all of these are called concurrently from every acceptor thread; they hold
// no mutable state of their own.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "fcgi/auth/auth_context.h"
#include "fcgi/auth/auth_failure.h"
#include "fcgi/base/stages.h"
#include "fcgi/http/request.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi::auth {

// The token of "Authorization: Bearer <token>" (scheme case-insensitive, RFC 7235), or the
// reason there is none.
AuthFailure ExtractBearer(const Request& request, std::string* token);

class BearerAuthenticator final : public Authenticator {
 public:
  explicit BearerAuthenticator(const AuthContext& auth) : auth_(auth) {}
  std::optional<Refusal> Authenticate(const Request& request, Principal* principal) override;

 private:
  const AuthContext& auth_;
};

class RoleAuthoriser final : public Authoriser {
 public:
  RoleAuthoriser(const RoleTable& roles, bool required) : roles_(roles), required_(required) {}
  std::optional<Refusal> Authorise(const Principal& principal, const Route& route, const Request& request) override;

 private:
  const RoleTable& roles_;
  const bool required_;
};

// After a credential verified: what the key itself asks for — the client certificate it is
// bound to (client_cert.h) and a TOTP code on admin changes (totp_guard.h). Applies to our
// JWTs too (they carry the key id) and to the token exchange. kNone when satisfied.
AuthFailure CheckKeyFactors(const AuthContext& auth, const Request& request, const Principal& principal);

// 403 model_not_allowed when the principal's allow-list is non-empty and lacks `model`.
std::optional<Refusal> CheckModelAllowed(const Principal& principal, const std::string& model);

// The message every 401 carries: the same whatever the reason.
inline constexpr const char* kGenericAuthMessage =
    "Invalid or missing credentials. Send an API key or access token as 'Authorization: Bearer <token>'.";
// Retry-After of a 503 key_store_unavailable (the shared key store is down).
inline constexpr int kKeyStoreRetryAfterS = 5;

}  // namespace deepgate::fcgi::auth
