// The pluggable stages of the request pipeline (fcgi/server/pipeline.h), in the order they
// run: Authenticate → Authorise → Admit (policy) → [handler] → Audit. The security issue
// replaces the open implementations below with API keys / JWT, RBAC, rate limits and a
// journald audit sink; the pipeline itself does not change.
// Thread-safety: every stage is called concurrently from all acceptor threads.
#pragma once

#include <chrono>
#include <mutex>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "fcgi/http/request.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi {

// Who is calling, as established by the Authenticator.
struct Principal {
  std::string subject = "anonymous";  // key id or JWT sub; never a secret
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
};

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

class AdmissionPolicy {
 public:
  virtual ~AdmissionPolicy() = default;
  // ResourceExhausted (→ 429) / PermissionDenied (→ 403) / Unavailable (→ 503) to refuse.
  virtual Status Admit(const Principal& principal, const Route& route, const Request& request) = 0;
  // Called once for every admitted request when it ends (releases concurrency slots).
  virtual void Release(const Principal& principal, const Route& route) = 0;
};

// One line per request: never secrets, never prompt text.
struct AuditRecord {
  std::string request_id;
  std::string remote_addr;
  std::string method;
  std::string path;
  std::string route;      // route name, "" when unrouted
  std::string subject = "-";  // "-" until authenticated
  int status = 0;
  size_t request_bytes = 0;
  size_t response_bytes = 0;
  std::chrono::milliseconds duration{0};
  std::string outcome;    // "ok", "error", "client_gone", "cancelled"
};

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

class UnlimitedAdmission final : public AdmissionPolicy {
 public:
  Status Admit(const Principal& principal, const Route& route, const Request& request) override;
  void Release(const Principal& principal, const Route& route) override;
};

// key=value line on stderr (journald captures stderr under systemd).
class StderrAuditSink final : public AuditSink {
 public:
  void Record(const AuditRecord& record) override;

 private:
  std::mutex mu_;  // one line at a time
};

}  // namespace deepgate::fcgi
