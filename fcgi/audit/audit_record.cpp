#include "fcgi/audit/audit_record.h"

namespace deepgate::fcgi {

const char* AuditEventName(AuditEvent event) {
  switch (event) {
    case AuditEvent::kRequest: return "request";
    case AuditEvent::kAuthFailure: return "auth_failure";
    case AuditEvent::kForbidden: return "forbidden";
    case AuditEvent::kRateLimited: return "rate_limited";
    case AuditEvent::kKeyCreated: return "key_created";
    case AuditEvent::kKeyRevoked: return "key_revoked";
    case AuditEvent::kKeyRotated: return "key_rotated";
    case AuditEvent::kKeyExpiring: return "key_expiring";
    case AuditEvent::kAnomaly: return "anomaly";
    case AuditEvent::kConfigReloaded: return "config_reloaded";
    case AuditEvent::kModelLoaded: return "model_loaded";
    case AuditEvent::kModelRejected: return "model_rejected";
    case AuditEvent::kModelRemoved: return "model_removed";
    case AuditEvent::kModelShredded: return "model_shredded";
    case AuditEvent::kSubjectErased: return "subject_erased";
    case AuditEvent::kCachePurgeRequested: return "cache_purge_requested";
    case AuditEvent::kKeyTotpEnrolled: return "key_totp_enrolled";
    case AuditEvent::kKeyTotpDisabled: return "key_totp_disabled";
  }
  return "unknown";
}

int AuditPriority(AuditEvent event, int http_status) {
  switch (event) {
    case AuditEvent::kRequest: return http_status >= 500 ? 4 : 6;  // a server fault is worth a look
    case AuditEvent::kAuthFailure:
    case AuditEvent::kForbidden:
    case AuditEvent::kRateLimited:
    case AuditEvent::kKeyCreated:
    case AuditEvent::kKeyRevoked:
    case AuditEvent::kKeyRotated:
    case AuditEvent::kKeyTotpEnrolled:
    case AuditEvent::kKeyTotpDisabled: return 5;
    case AuditEvent::kKeyExpiring:
    case AuditEvent::kAnomaly: return 4;
    case AuditEvent::kConfigReloaded:
    case AuditEvent::kModelLoaded: return 6;
    case AuditEvent::kModelRejected: return 3;  // err: a tampered or corrupt model file
    case AuditEvent::kModelRemoved:
    case AuditEvent::kModelShredded:
    case AuditEvent::kSubjectErased:
    case AuditEvent::kCachePurgeRequested: return 5;
  }
  return 6;
}

}  // namespace deepgate::fcgi
