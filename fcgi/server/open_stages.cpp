#include "fcgi/server/open_stages.h"

#include <cstdio>

#include "fcgi/audit/audit_format.h"

namespace deepgate::fcgi {

std::optional<Refusal> OpenAccessAuthenticator::Authenticate(const Request&, Principal* principal) {
  *principal = Principal{};
  return std::nullopt;
}

std::optional<Refusal> AllowAllAuthoriser::Authorise(const Principal&, const Route&, const Request&) {
  return std::nullopt;
}

ClientOrigin UnlimitedAdmission::Locate(const Request& request) { return {request.remote_addr, ""}; }
Admission UnlimitedAdmission::Admit(const Principal&, const Route&, const Request&, const ClientOrigin&) { return {}; }
void UnlimitedAdmission::Release(const Principal&, const Route&, const RequestUsage&, const std::string&) {}

void StderrAuditSink::Record(const AuditRecord& r) {
  const std::string line = audit::AuditLine(audit::MaskRecord(r));
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace deepgate::fcgi
