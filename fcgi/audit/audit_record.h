// AuditRecord: one audit-trail entry — a finished request or a security event — as the
// pipeline and the security stages describe it. Sinks (journald, stderr) map it to their
// format and mask credentials first (credential_mask.h). Never prompt or completion text,
// never a key, token or secret. Thread-safety: plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace deepgate::fcgi {

// DEEPGATE_EVENT values. A refused request is recorded once, under its refusal event
// (auth_failure, forbidden, rate_limited), not once more as `request`.
enum class AuditEvent {
  kRequest,
  kAuthFailure,
  kForbidden,
  kRateLimited,
  kKeyCreated,
  kKeyRevoked,
  kKeyRotated,
  kKeyExpiring,
  kAnomaly,
  kConfigReloaded,
  kModelLoaded,
  // Model files and data-subject erasure (fcgi/models, `deepgate erase`).
  kModelRejected,        // the file did not hash to its manifest sha256: not served
  kModelRemoved,         // manifest entry removed, file kept
  kModelShredded,        // file overwritten, truncated and unlinked, entry removed
  kSubjectErased,        // a subject's keys and pseudonym key deleted (SUBJECT = the old pseudonym)
  kCachePurgeRequested,  // `deepgate cache purge` queued a purge of cached responses
  kKeyTotpEnrolled,      // `deepgate admin totp enroll`: the key's admin changes need a code
  kKeyTotpDisabled,      // `deepgate admin totp disable`
};

const char* AuditEventName(AuditEvent event);
// syslog priority (journald PRIORITY): 4 warning, 5 notice, 6 info.
int AuditPriority(AuditEvent event, int http_status);

struct AuditRecord {
  AuditEvent event = AuditEvent::kRequest;
  std::string message;      // MESSAGE; "" = built from the fields
  std::string request_id;
  std::string remote_addr;  // REMOTE_ADDR as nginx saw it
  std::string client_ip;    // the client after trusted-proxy X-Forwarded-For ("" = remote_addr)
  std::string client_country;  // ISO alpha-2, "" when unknown or no GeoIP
  std::string method;
  std::string path;
  std::string route;        // route name, "" when unrouted
  std::string subject = "-";  // "-" until authenticated
  std::string key_id;       // API key id (never the key), "" for none
  std::string role;
  int status = 0;
  size_t request_bytes = 0;
  size_t response_bytes = 0;
  std::chrono::microseconds duration{0};  // journal and log lines show whole ms
  std::string outcome;      // "ok", "error", "client_gone", "cancelled", "refused"
  std::string model;        // model a generation used, "" for none
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  std::string reason;       // internal reason of a refusal or event ("key_revoked", ...)
  // Where the answer came from when not from this worker: "overflow" = this worker answered
  // 503 with the request marked to leave, so nginx's @overflow served it (UPSTREAM).
  std::string upstream;
};

}  // namespace deepgate::fcgi
