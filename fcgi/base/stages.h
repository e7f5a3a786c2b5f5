// The stage interfaces of the request pipeline (fcgi/server/pipeline.h), in the order they
// run: Authenticate → Authorise → Admit (policy) → [handler] → Audit. fcgi/auth, fcgi/policy
// and fcgi/audit implement them; fcgi/server/open_stages.h holds the open-access defaults.
// This folder includes nothing of ours but core/status.h, so any folder may include it.
// Thread-safety: every stage is called concurrently from all acceptor threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "fcgi/base/principal.h"
#include "fcgi/base/refusal.h"

namespace deepgate::fcgi {

struct Request;      // fcgi/http/request.h
struct Route;        // fcgi/http/router.h
struct AuditRecord;  // fcgi/audit/audit_record.h

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Fills *principal, or returns the refusal (status Unauthenticated → 401) when credentials
  // are missing or invalid.
  [[nodiscard]] virtual std::optional<Refusal> Authenticate(const Request& request, Principal* principal) = 0;
};

class Authoriser {
 public:
  virtual ~Authoriser() = default;
  // A refusal (status PermissionDenied → 403) when the principal may not use this route.
  [[nodiscard]] virtual std::optional<Refusal> Authorise(const Principal& principal, const Route& route,
                                                         const Request& request) = 0;
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

// The policy stage's answer: `refusal` set when refused (its status maps to 429/403/503).
// `headers` (x-ratelimit-*) go out with the answer either way.
struct Admission {
  std::optional<Refusal> refusal;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string anomaly;  // non-empty: this request tipped the anomaly detector; the pipeline audits it
  std::string lease;    // admitted: the concurrency slot taken (opaque), handed back to Release
};

class AdmissionPolicy {
 public:
  virtual ~AdmissionPolicy() = default;
  virtual ClientOrigin Locate(const Request& request) = 0;
  virtual Admission Admit(const Principal& principal, const Route& route, const Request& request,
                          const ClientOrigin& origin) = 0;
  // Called once for every admitted request when it ends (releases concurrency slots, charges tokens).
  // `lease` is the admitted request's Admission::lease.
  virtual void Release(const Principal& principal, const Route& route, const RequestUsage& usage,
                       const std::string& lease) = 0;
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

class AuditSink {
 public:
  virtual ~AuditSink() = default;
  virtual void Record(const AuditRecord& record) = 0;
};

}  // namespace deepgate::fcgi
