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

Result<Principal> BearerAuthenticator::Authenticate(const Request& request) {
  std::string token;
  AuthFailure f = ExtractBearer(request, &token);
  if (f == AuthFailure::kMissingCredentials && !auth_.config.required) return Principal{};  // open access
  std::string key_id;
  if (f == AuthFailure::kNone) {
    Verdict v = auth_.verifier->Verify(token, auth_.clock->NowUnix());
    if (v.ok()) return std::move(v.principal);
    f = v.failure;
    key_id = v.key_id;
  }
  return WithAuditReason(Status::Unauthenticated(kGenericAuthMessage), AuthFailureName(f), key_id);
}

Status RoleAuthoriser::Authorise(const Principal& principal, const Route& route, const Request&) {
  if (!principal.authenticated) {
    // Only reachable with auth.required false: anonymous may use everything but the admin API.
    if (!required_ && route.name.rfind("admin.", 0) != 0) return Status::Ok();
    return WithAuditReason(Status::PermissionDenied("This endpoint needs credentials with a role that allows it"),
                           "credentials_required");
  }
  if (roles_.Allows(principal.role, route.name)) return Status::Ok();
  return WithAuditReason(Status::PermissionDenied("Your credentials' role does not permit this endpoint"),
                         "role_not_permitted");
}

std::optional<ApiError> CheckModelAllowed(const Principal& principal, const std::string& model) {
  if (principal.allowed_models.empty()) return std::nullopt;
  for (const auto& m : principal.allowed_models)
    if (m == model) return std::nullopt;
  ApiError e = ApiError::Forbidden("Your credentials may not use the model '" + model.substr(0, 200) + "'");
  e.param = "model";
  e.code = "model_not_allowed";
  return e;
}

}  // namespace deepgate::fcgi::auth
