#include "fcgi/auth/totp_guard.h"

#include <cstdio>

#include "fcgi/auth/crypto.h"
#include "fcgi/auth/sealed_secret.h"
#include "fcgi/auth/totp.h"

namespace deepgate::fcgi::auth {

bool IsAdminChange(const Request& request) {
  if (request.method == "GET" || request.method == "HEAD" || request.method == "OPTIONS") return false;
  return request.path == "/admin" || request.path.rfind("/admin/", 0) == 0;
}

AuthFailure CheckAdminOtp(const AuthContext& auth, const Request& request, const KeyRecord* key) {
  if (!IsAdminChange(request)) return AuthFailure::kNone;
  if (key == nullptr || key->totp_sealed.empty())
    return auth.config.totp_required_for_admin ? AuthFailure::kOtpNotEnrolled : AuthFailure::kNone;
  std::string code = request.Header(kOtpHeader);
  while (!code.empty() && (code.back() == ' ' || code.back() == '\t')) code.pop_back();
  while (!code.empty() && (code.front() == ' ' || code.front() == '\t')) code.erase(0, 1);
  if (code.empty()) return AuthFailure::kOtpMissing;
  Result<std::string> secret = OpenSealedSecret(auth.secrets.master, kTotpSealPurpose, key->totp_sealed);
  if (!secret.ok()) {
    // Loud: the master secret changed since enrolment (or the row was altered); never names the secret.
    std::fprintf(stderr, "deepgate-fcgi: key %s: TOTP secret: %s\n", key->id.c_str(), secret.status().message().c_str());
    return AuthFailure::kOtpUnavailable;
  }
  std::optional<int64_t> step = MatchTotp(*secret, code, auth.clock->NowUnix());
  if (!step) return AuthFailure::kOtpInvalid;
  Result<bool> fresh = auth.store->ConsumeTotpStep(key->id, *step);
  if (!fresh.ok()) {
    std::fprintf(stderr, "deepgate-fcgi: key %s: %s\n", key->id.c_str(), fresh.status().message().c_str());
    return AuthFailure::kOtpUnavailable;
  }
  return *fresh ? AuthFailure::kNone : AuthFailure::kOtpReplayed;
}

Result<std::string> EnrollTotp(const AuthContext& auth, const std::string& key_id) {
  DG_ASSIGN_OR_RETURN(std::string secret, RandomBytes(kTotpSecretBytes));
  DG_ASSIGN_OR_RETURN(std::string sealed, SealSecret(auth.secrets.master, kTotpSealPurpose, secret));
  DG_RETURN_IF_ERROR(auth.store->SetTotp(key_id, sealed));
  return secret;
}

}  // namespace deepgate::fcgi::auth
