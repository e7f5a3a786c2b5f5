// Refusal: why a stage or a handler said no, as data. The client is told `status` (its code
// picks the HTTP answer, its message is the public text); the audit trail records the closed
// `reason`, its `detail` and `key_id`. Nothing travels inside a message to be parsed back out.
// Thread-safety: plain values.
#pragma once

#include <string>
#include <utility>

#include "core/status.h"

namespace deepgate::fcgi {

enum class RefusalReason {
  kBadCredentials,       // 401; detail: the AuthFailure name ("key_revoked", "jwt_expired")
  kCredentialsRequired,  // 403: an anonymous caller on a route that needs a role
  kRoleNotPermitted,     // 403: the role's routes do not include this one
  kModelNotAllowed,      // 403: the key's model allow-list lacks the requested model
  kCountryBlocked,       // 403; detail: the country rule and country ("country_denied:DE")
  kRateLimited,          // 429; detail: the limit reached ("requests_per_minute")
  kEngineShare,          // 503: the subject already holds its share of the engine's sequences
  kClientThrottled,      // 429: too many failed credentials from this client address
  kModelRejected,        // the model file's bytes do not hash to its manifest sha256
  kLimitsUnavailable,    // 503: the shared limits backend (Redis) is down and the policy is fail_closed
};

// Stable snake_case name ("role_not_permitted").
const char* RefusalReasonName(RefusalReason reason);

struct Refusal {
  Refusal(RefusalReason r, Status s, std::string detail_ = "", std::string key_id_ = "")
      : reason(r), status(std::move(s)), detail(std::move(detail_)), key_id(std::move(key_id_)) {}
  // Builders for the optional fields: Refusal(...).WithErrorCode("country_blocked").
  Refusal&& WithErrorCode(std::string code) && {
    error_code = std::move(code);
    return std::move(*this);
  }
  Refusal&& WithParam(std::string p) && {
    param = std::move(p);
    return std::move(*this);
  }
  Refusal&& WithRetryAfter(int seconds) && {
    retry_after_s = seconds;
    return std::move(*this);
  }

  RefusalReason reason;
  Status status;           // what the client is told
  std::string detail;      // finer reason for the audit trail, "" for none
  std::string key_id;      // the principal: the key a refused credential named, "" for none
  std::string error_code;  // replaces the status's default OpenAI error code, "" keeps it
  std::string param;       // the request field at fault, "" for none
  int retry_after_s = 0;   // > 0: Retry-After of this refusal (rate limits)
};

// The audit entry's REASON: the detail when there is one, else the reason's name.
std::string AuditReason(const Refusal& refusal);

}  // namespace deepgate::fcgi
