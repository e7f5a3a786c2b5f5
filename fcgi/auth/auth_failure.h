// AuthFailure: the closed set of reasons a credential is refused. The audit entry and the
// worker log name the reason; the client only ever sees a generic 401 (or 403 for role and
// model checks, which are not credential failures and live in the authoriser).
// Thread-safety: plain values.
#pragma once

namespace deepgate::fcgi::auth {

enum class AuthFailure {
  kNone = 0,
  // Transport
  kMissingCredentials,   // no Authorization header
  kMalformedHeader,      // not "Bearer <token>"
  kTokenTooLarge,        // over kMaxTokenBytes
  // API keys (dg_<id>_<secret>)
  kKeyMalformed,         // dg_ prefix but not the documented shape
  kKeyUnknown,           // no key with that id
  kKeyMismatch,          // id known, secret wrong
  kKeyRevoked,
  kKeyExpired,
  kKeyRotated,           // replaced by a newer key and past its overlap window
  kKeyStoreError,        // the store could not be read (answered 401, logged loudly)
  kKeyStoreUnavailable,  // the shared store is unreachable and the key not recently verified (503)
  // JWT, in the order the verifier checks them (cheap first)
  kJwtMalformed,         // not three dot-separated parts
  kJwtBadBase64,         // a part is not strict base64url
  kJwtBadJson,           // header or payload not a JSON object, or a claim of the wrong type
  kJwtAlgNone,           // "alg": "none" (never accepted)
  kJwtAlgNotAllowed,     // alg not configured for this issuer (HS/RS confusion lands here)
  kJwtUnknownIssuer,     // iss missing or not configured
  kJwtNotYetValid,       // nbf (or iat) in the future beyond leeway
  kJwtMissingExp,
  kJwtExpired,
  kJwtBadAudience,       // aud missing or not ours
  kJwtUnknownKid,        // kid missing (when the issuer has several keys) or not in the JWKS
  kJwtKeyTypeMismatch,   // kid names a key of another type than alg needs
  kJwtBadSignature,
  kJwtNoRole,            // signature fine, but no claim maps to a configured role
  kJwtBadType,           // a "typ" header that is not JWT / at+jwt
  // The key's own factors (after its secret verified; client_cert.h, totp_guard.h)
  kKeyCertMissing,       // the key is bound to a client certificate; none was verified by nginx
  kKeyCertMismatch,      // a verified certificate, but not the one the key is bound to
  kOtpMissing,           // admin change by a key with TOTP (or TOTP required): no X-Deepgate-OTP
  kOtpInvalid,           // not the key's code for now ±1 step
  kOtpReplayed,          // the key's code, but its step (or a later one) was already used
  kOtpNotEnrolled,       // TOTP required for admin changes and the key has none enrolled
  kOtpUnavailable,       // the sealed TOTP secret does not open (another master secret) or the store failed
};
// The last reason, for loops over all of them (metrics start every reason at zero).
inline constexpr AuthFailure kLastAuthFailure = AuthFailure::kOtpUnavailable;

// Stable snake_case name for logs and audit: "jwt_expired".
const char* AuthFailureName(AuthFailure failure);

}  // namespace deepgate::fcgi::auth
