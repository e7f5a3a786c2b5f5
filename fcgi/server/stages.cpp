#include "fcgi/server/stages.h"

#include <cstdio>

namespace deepgate::fcgi {

Result<Principal> OpenAccessAuthenticator::Authenticate(const Request&) { return Principal{}; }

Status AllowAllAuthoriser::Authorise(const Principal&, const Route&, const Request&) { return Status::Ok(); }

Status UnlimitedAdmission::Admit(const Principal&, const Route&, const Request&) { return Status::Ok(); }
void UnlimitedAdmission::Release(const Principal&, const Route&) {}

namespace {
// Paths come from clients: keep the log line one line and parseable.
std::string Printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 256)) out += (c > 0x20 && c < 0x7f && c != '"') ? static_cast<char>(c) : '?';
  return out;
}
}  // namespace

void StderrAuditSink::Record(const AuditRecord& r) {
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(stderr,
               "audit request_id=%s remote=%s method=%s path=\"%s\" route=%s subject=%s status=%d "
               "in=%zu out=%zu ms=%lld outcome=%s\n",
               Printable(r.request_id).c_str(), Printable(r.remote_addr).c_str(), Printable(r.method).c_str(),
               Printable(r.path).c_str(), r.route.empty() ? "-" : r.route.c_str(), Printable(r.subject).c_str(),
               r.status, r.request_bytes, r.response_bytes, static_cast<long long>(r.duration.count()),
               r.outcome.c_str());
}

}  // namespace deepgate::fcgi
