#include "fcgi/auth/auth_stages.h"

#include <cstdio>

namespace deepgate::fcgi::auth {

AuthFailure ExtractBearer(const Request& request, std::string* token) {
  const std::string& h = request.Header("authorization");
  if (h.empty()) return AuthFailure::kMissingCredentials;
  if (h.size() > kMaxTokenBytes + 64) return AuthFailure::kTokenTooLarge;
  if (h.size() < 7) return AuthFailure::kMalformedHeader;
  std::string scheme = h.substr(0, 7);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") return AuthFailure::kMalformedHeader;
  size_t b = 7, e = h.size();
  while (b < e && h[b] == ' ') ++b;
  while (e > b && (h[e - 1] == ' ' || h[e - 1] == '\t')) --e;
  if (b == e) return AuthFailure::kMalformedHeader;
  *token = h.substr(b, e - b);
  return AuthFailure::kNone;
}

std::optional<Refusal> BearerAuthenticator::Authenticate(const Request& request, Principal* principal) {
  std::string token;
  AuthFailure f = ExtractBearer(request, &token);
  if (f == AuthFailure::kMissingCredentials && !auth_.config.required) {  // open access
    *principal = Principal{};
    return std::nullopt;
  }
  std::string key_id;
  if (f == AuthFailure::kNone) {
    Verdict v = auth_.verifier->Verify(token, auth_.clock->NowUnix());
    if (v.ok()) {
      *principal = std::move(v.principal);
      return std::nullopt;
    }
    f = v.failure;
    key_id = v.key_id;
  }
  if (f == AuthFailure::kKeyStoreUnavailable)  // not the caller's fault: 503, retry later
    return Refusal(RefusalReason::kBadCredentials,
                   Status::Unavailable("The key store is unavailable; credentials cannot be checked, try again shortly"),
                   AuthFailureName(f), key_id)
        .WithErrorCode("key_store_unavailable")
        .WithRetryAfter(kKeyStoreRetryAfterS);
  return Refusal(RefusalReason::kBadCredentials, Status::Unauthenticated(kGenericAuthMessage), AuthFailureName(f),
                 key_id);
}

std::optional<Refusal> RoleAuthoriser::Authorise(const Principal& principal, const Route& route, const Request&) {
  if (!principal.authenticated) {
    // Only reachable with auth.required false: anonymous may use everything but the admin API.
    if (!required_ && route.name.rfind("admin.", 0) != 0) return std::nullopt;
    return Refusal(RefusalReason::kCredentialsRequired,
                   Status::PermissionDenied("This endpoint needs credentials with a role that allows it"));
  }
  if (roles_.Allows(principal.role, route.name)) return std::nullopt;
  return Refusal(RefusalReason::kRoleNotPermitted,
                 Status::PermissionDenied("Your credentials' role does not permit this endpoint"));
}

std::optional<Refusal> CheckModelAllowed(const Principal& principal, const std::string& model) {
  if (ModelAllowed(principal, model)) return std::nullopt;
  return Refusal(RefusalReason::kModelNotAllowed,
                 Status::PermissionDenied("Your credentials may not use the model '" + model.substr(0, 200) + "'"))
      .WithErrorCode("model_not_allowed")
      .WithParam("model");
}

}  // namespace deepgate::fcgi::auth
