// The TOTP second factor on admin changes: a mutating /admin/* call (any method but GET, HEAD
// and OPTIONS) by a key that has TOTP enrolled (`deepgate admin totp enroll`) must carry the
// key's current code in X-Deepgate-OTP — RFC 6238, now ±1 step, each step usable once per key
// (KeyStore::ConsumeTotpStep records it in one UPDATE, so two workers cannot both take a
// code). With auth.totp_required_for_admin, a caller without an enrolled key (a key without
// TOTP, an IdP token) may make no admin change at all. Failures are credential failures: 401,
// audited with their reason, counted by the per-client failure limiter.
// Thread-safety: stateless over the thread-safe AuthContext.
#pragma once

#include "fcgi/auth/auth_context.h"
#include "fcgi/auth/auth_failure.h"
#include "fcgi/http/request.h"

namespace deepgate::fcgi::auth {

// The header carrying the code ("123456").
inline constexpr const char* kOtpHeader = "x-deepgate-otp";

// True for a request that changes something under /admin/.
bool IsAdminChange(const Request& request);

// kNone when the request needs no code or carries a fresh valid one (whose step it then uses
// up); `key` is the principal's key record, nullptr when it has none.
AuthFailure CheckAdminOtp(const AuthContext& auth, const Request& request, const KeyRecord* key);

// A new random TOTP secret for `key_id`, sealed under the master secret and stored; returns the
// raw secret, for the enrolment URI only.
[[nodiscard]] Result<std::string> EnrollTotp(const AuthContext& auth, const std::string& key_id);

}  // namespace deepgate::fcgi::auth
