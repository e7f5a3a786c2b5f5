// The pluggable stages of the request pipeline (fcgi/server/pipeline.h), in the order they
// run: Authenticate → Authorise → Admit (policy) → [handler] → Audit. The security issue
// replaces the open implementations below with API keys / JWT, RBAC, rate limits and a
// journald audit sink; the pipeline itself does not change.
// Thread-safety: every stage is called concurrently from all acceptor threads.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "fcgi/audit/audit_record.h"
#include "fcgi/http/request.h"
#include "fcgi/http/router.h"
#include "fcgi/policy/data_policy.h"

namespace deepgate::fcgi {

// Who is calling, as established by the Authenticator.
struct Principal {
  // Rate limits, engine share and cache scope are keyed on this; one namespace per kind:
  // "key:<id>" (our keys and JWTs), "idp:<issuer>:<sub>", "client:<address>", "anonymous".
  std::string subject = "anonymous";  // never a secret
  std::string role;                   // "admin", "developer", ... ("" for open access)
  bool authenticated = false;
  // Filled by fcgi/auth (BearerAuthenticator); read by policy and the generation handlers.
  std::string method;                       // "api_key", "jwt" ("" for open access)
  std::string key_id;                       // our API key id (also for our own JWTs); "" otherwise
  std::vector<std::string> allowed_models;  // empty = every model
  int64_t requests_per_min = 0;             // per-key limits; 0 = no per-key limit
  int64_t tokens_per_min = 0;
  int64_t max_concurrent = 0;
  int64_t expires_at = 0;                   // unix s: key or token expiry, 0 unknown
  // The data subject audit entries are about (pseudonymised there) and erasure names: the
  // key's owner (`keys create --subject`), else the key id, or an IdP token's plain sub;
  // "" = `subject`. Rate limits stay keyed by `subject`.
  std::string data_subject;
  // May this principal's requests be served off-site (overflow)? The key's choice, or the
  // deployment default (fcgi/policy/overflow_policy.h).
  DataPolicy data_policy = DataPolicy::kDeploymentDefault;
};

// Who an audit entry is about: the owner subject when the principal's key names one.
inline const std::string& AuditSubject(const Principal& p) {
  return p.data_subject.empty() ? p.subject : p.data_subject;
}

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Unauthenticated (→ 401) when credentials are missing or invalid.
  virtual Result<Principal> Authenticate(const Request& request) = 0;
};

class Authoriser {
 public:
  virtual ~Authoriser() = default;
  // PermissionDenied (→ 403) when the principal may not use this route.
  virtual Status Authorise(const Principal& principal, const Route& route, const Request& request) = 0;
};

// Where a request comes from, resolved once per request (public routes too) so every audit
// entry carries it: the client address (trusted-proxy X-Forwarded-For applied) and its
// country ("" unknown / no GeoIP).
struct ClientOrigin {
  std::string ip;
  std::string country;
};

// What a generation used, reported by the handler into its RequestContext: audit records it
// and the tokens/min limit is charged with prompt + completion tokens when the request ends.
struct RequestUsage {
  std::string model;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

// The policy stage's answer. Refused: `status` maps to the HTTP answer (ResourceExhausted 429,
// PermissionDenied 403, Unavailable 503); `error_code` overrides its default code
// ("country_blocked"); `reason` is what the audit trail records. `headers` (x-ratelimit-*)
// go out with the answer either way.
struct Admission {
  Status status;
  std::string error_code;
  std::string reason;
  int retry_after_s = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string anomaly;  // non-empty: this request tipped the anomaly detector; the pipeline audits it
};

class AdmissionPolicy {
 public:
  virtual ~AdmissionPolicy() = default;
  virtual ClientOrigin Locate(const Request& request) = 0;
  virtual Admission Admit(const Principal& principal, const Route& route, const Request& request,
                          const ClientOrigin& origin) = 0;
  // Called once for every admitted request when it ends (releases concurrency slots, charges tokens).
  virtual void Release(const Principal& principal, const Route& route, const RequestUsage& usage) = 0;
  // Before any credential is looked at: rules that depend on the client alone (its country,
  // its recent failed credentials), so a refused client learns nothing about a key (no 401
  // vs 403 oracle) and cannot try keys faster than the failure limit. Default: admit.
  virtual Admission Screen(const Request& request, const ClientOrigin& origin) {
    (void)request, (void)origin;
    return {};
  }
  // A failed authentication from this client (counted by the failure limiter). Default: none.
  virtual void NoteAuthFailure(const ClientOrigin& origin) { (void)origin; }
};

// Stages refuse with a Status whose message the client sees. An internal reason for the
// audit trail (a closed-enum name such as "key_revoked") rides in front of it, split off by
// the pipeline before the client is answered:
//   return WithAuditReason(Status::Unauthenticated("Invalid API key"), "key_revoked");
// A Status without one is audited with its message as the reason. `key_id` names the key a
// refused credential claimed to be (audited as KEY_ID), "" for none.
Status WithAuditReason(const Status& status, const std::string& reason, const std::string& key_id = "");
struct AuditedStatus {
  Status status;       // what the client is told
  std::string reason;  // what the audit trail records
  std::string key_id;
};
AuditedStatus SplitAuditReason(const Status& status);

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Record(const AuditRecord& record) = 0;
};

// --- open-access implementations: the worker's behaviour until the security issue lands ---

// Everyone is "anonymous"; nginx's IP allowlist is the only gate.
class OpenAccessAuthenticator final : public Authenticator {
 public:
  Result<Principal> Authenticate(const Request& request) override;
};

class AllowAllAuthoriser final : public Authoriser {
 public:
  Status Authorise(const Principal& principal, const Route& route, const Request& request) override;
};

// REMOTE_ADDR is the client; no limits, no countries.
class UnlimitedAdmission final : public AdmissionPolicy {
 public:
  ClientOrigin Locate(const Request& request) override;
  Admission Admit(const Principal& principal, const Route& route, const Request& request,
                  const ClientOrigin& origin) override;
  void Release(const Principal& principal, const Route& route, const RequestUsage& usage) override;
};

// Masked key=value line on stderr (journald captures stderr under systemd).
class StderrAuditSink final : public AuditSink {
 public:
  void Record(const AuditRecord& record) override;

 private:
  std::mutex mu_;  // one line at a time
};

}  // namespace deepgate::fcgi
