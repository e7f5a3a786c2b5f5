#include "fcgi/base/refusal.h"

namespace deepgate::fcgi {

const char* RefusalReasonName(RefusalReason reason) {
  switch (reason) {
    case RefusalReason::kBadCredentials: return "bad_credentials";
    case RefusalReason::kCredentialsRequired: return "credentials_required";
    case RefusalReason::kRoleNotPermitted: return "role_not_permitted";
    case RefusalReason::kModelNotAllowed: return "model_not_allowed";
    case RefusalReason::kCountryBlocked: return "country_blocked";
    case RefusalReason::kRateLimited: return "rate_limited";
    case RefusalReason::kEngineShare: return "engine_share";
    case RefusalReason::kClientThrottled: return "auth_failures";
    case RefusalReason::kModelRejected: return "sha256_mismatch";
    case RefusalReason::kLimitsUnavailable: return "limits_unavailable";
  }
  return "unknown";
}

std::string AuditReason(const Refusal& refusal) {
  return refusal.detail.empty() ? RefusalReasonName(refusal.reason) : refusal.detail;
}

}  // namespace deepgate::fcgi
