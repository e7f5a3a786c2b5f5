// The open-access stage implementations (fcgi/base/stages.h): what a Pipeline runs with when
// no security stage is plugged in (tests, and each default of PipelineStages).
// Thread-safety: every stage is called concurrently from all acceptor threads.
#pragma once

#include <mutex>

#include "fcgi/base/stages.h"
#include "fcgi/http/request.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi {

// Everyone is "anonymous"; nginx's IP allowlist is the only gate.
class OpenAccessAuthenticator final : public Authenticator {
 public:
  std::optional<Refusal> Authenticate(const Request& request, Principal* principal) override;
};

class AllowAllAuthoriser final : public Authoriser {
 public:
  std::optional<Refusal> Authorise(const Principal& principal, const Route& route, const Request& request) override;
};

// REMOTE_ADDR is the client; no limits, no countries.
class UnlimitedAdmission final : public AdmissionPolicy {
 public:
  ClientOrigin Locate(const Request& request) override;
  Admission Admit(const Principal& principal, const Route& route, const Request& request,
                  const ClientOrigin& origin) override;
  void Release(const Principal& principal, const Route& route, const RequestUsage& usage,
               const std::string& lease) override;
};

// Masked key=value line on stderr (journald captures stderr under systemd).
class StderrAuditSink final : public AuditSink {
 public:
  void Record(const AuditRecord& record) override;

 private:
  std::mutex mu_;  // one line at a time
};

}  // namespace deepgate::fcgi
