#include "fcgi/auth/auth_failure.h"

namespace deepgate::fcgi::auth {

const char* AuthFailureName(AuthFailure f) {
  switch (f) {
    case AuthFailure::kNone: return "none";
    case AuthFailure::kMissingCredentials: return "missing_credentials";
    case AuthFailure::kMalformedHeader: return "malformed_authorization_header";
    case AuthFailure::kTokenTooLarge: return "token_too_large";
    case AuthFailure::kKeyMalformed: return "key_malformed";
    case AuthFailure::kKeyUnknown: return "key_unknown";
    case AuthFailure::kKeyMismatch: return "key_mismatch";
    case AuthFailure::kKeyRevoked: return "key_revoked";
    case AuthFailure::kKeyExpired: return "key_expired";
    case AuthFailure::kKeyRotated: return "key_rotated";
    case AuthFailure::kKeyStoreError: return "key_store_error";
    case AuthFailure::kKeyStoreUnavailable: return "key_store_unavailable";
    case AuthFailure::kJwtMalformed: return "jwt_malformed";
    case AuthFailure::kJwtBadBase64: return "jwt_bad_base64url";
    case AuthFailure::kJwtBadJson: return "jwt_bad_json";
    case AuthFailure::kJwtAlgNone: return "jwt_alg_none";
    case AuthFailure::kJwtAlgNotAllowed: return "jwt_alg_not_allowed";
    case AuthFailure::kJwtUnknownIssuer: return "jwt_unknown_issuer";
    case AuthFailure::kJwtNotYetValid: return "jwt_not_yet_valid";
    case AuthFailure::kJwtMissingExp: return "jwt_missing_exp";
    case AuthFailure::kJwtExpired: return "jwt_expired";
    case AuthFailure::kJwtBadAudience: return "jwt_bad_audience";
    case AuthFailure::kJwtUnknownKid: return "jwt_unknown_kid";
    case AuthFailure::kJwtKeyTypeMismatch: return "jwt_key_type_mismatch";
    case AuthFailure::kJwtBadSignature: return "jwt_bad_signature";
    case AuthFailure::kJwtNoRole: return "jwt_no_role";
    case AuthFailure::kJwtBadType: return "jwt_bad_type";
    case AuthFailure::kKeyCertMissing: return "key_cert_missing";
    case AuthFailure::kKeyCertMismatch: return "key_cert_mismatch";
    case AuthFailure::kOtpMissing: return "otp_missing";
    case AuthFailure::kOtpInvalid: return "otp_invalid";
    case AuthFailure::kOtpReplayed: return "otp_replayed";
    case AuthFailure::kOtpNotEnrolled: return "otp_not_enrolled";
    case AuthFailure::kOtpUnavailable: return "otp_unavailable";
  }
  return "unknown";
}

}  // namespace deepgate::fcgi::auth
