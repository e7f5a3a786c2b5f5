#include "fcgi/auth/auth_stages.h"

#include <cstdio>

#include "fcgi/auth/client_cert.h"
#include "fcgi/auth/totp_guard.h"

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

AuthFailure CheckKeyFactors(const AuthContext& auth, const Request& request, const Principal& principal) {
  std::optional<KeyRecord> key;
  if (!principal.key_id.empty()) {
    Result<std::optional<KeyRecord>> found = auth.store->FindById(principal.key_id);
    if (!found.ok()) return AuthFailure::kKeyStoreError;
    key = std::move(*found);
  }
  if (key) {
    if (AuthFailure f = CheckCertBinding(key->cert_sha256, request.client_cert); f != AuthFailure::kNone) return f;
  }
  return CheckAdminOtp(auth, request, key ? &*key : nullptr);
}

namespace {

// The refusal of a key factor: 401 with the reason audited, and a message that says what is
// missing (the caller has proved it holds the key; the factor is what it lacks).
Refusal FactorRefusal(AuthFailure f, const std::string& key_id) {
  switch (f) {
    case AuthFailure::kKeyCertMissing:
    case AuthFailure::kKeyCertMismatch:
      return Refusal(RefusalReason::kBadCredentials,
                     Status::Unauthenticated("This key may only be used over the client certificate it is bound to"),
                     AuthFailureName(f), key_id)
          .WithErrorCode("client_certificate_required");
    case AuthFailure::kOtpMissing:
    case AuthFailure::kOtpInvalid:
    case AuthFailure::kOtpReplayed:
    case AuthFailure::kOtpNotEnrolled:
    case AuthFailure::kOtpUnavailable:
      return Refusal(RefusalReason::kBadCredentials,
                     Status::Unauthenticated(f == AuthFailure::kOtpNotEnrolled
                                                 ? "Admin changes need a key with a TOTP second factor enrolled"
                                                 : "Admin changes need a fresh one-time code in the X-Deepgate-OTP header"),
                     AuthFailureName(f), key_id)
          .WithErrorCode("otp_required");
    default:
      return Refusal(RefusalReason::kBadCredentials, Status::Unauthenticated(kGenericAuthMessage), AuthFailureName(f),
                     key_id);
  }
}

}  // namespace

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
      if (AuthFailure factor = CheckKeyFactors(auth_, request, v.principal); factor != AuthFailure::kNone)
        return FactorRefusal(factor, v.principal.key_id);
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
