#include "fcgi/server/stages.h"

#include <cstdio>

#include "fcgi/audit/audit_format.h"

namespace deepgate::fcgi {

Result<Principal> OpenAccessAuthenticator::Authenticate(const Request&) { return Principal{}; }

Status AllowAllAuthoriser::Authorise(const Principal&, const Route&, const Request&) { return Status::Ok(); }

ClientOrigin UnlimitedAdmission::Locate(const Request& request) { return {request.remote_addr, ""}; }
Admission UnlimitedAdmission::Admit(const Principal&, const Route&, const Request&, const ClientOrigin&) { return {}; }
void UnlimitedAdmission::Release(const Principal&, const Route&, const RequestUsage&) {}

namespace {
// "reason<US>: message" — the unit separator never appears in a client-facing message.
constexpr char kReasonSeparator = '\x1f';
constexpr const char* kReasonTail = "\x1f: ";  // what WithContext leaves after the reason
constexpr char kKeyIdSeparator = '\x1e';       // "reason<RS>key_id<US>: message"

}  // namespace

Status WithAuditReason(const Status& status, const std::string& reason, const std::string& key_id) {
  if (status.ok()) return status;
  return status.WithContext(reason + (key_id.empty() ? "" : kKeyIdSeparator + key_id) + kReasonSeparator);
}

AuditedStatus SplitAuditReason(const Status& status) {
  const std::string& m = status.message();
  const size_t sep = m.find(kReasonTail);
  if (sep == std::string::npos) return {status, m, ""};
  // Status keeps its constructor private: rebuild the same code with the client's message.
  std::string client = m.substr(sep + 3);
  Status s = Status::Internal(client);
  switch (status.code()) {
    case StatusCode::kInvalidArgument: s = Status::InvalidArgument(client); break;
    case StatusCode::kUnauthenticated: s = Status::Unauthenticated(client); break;
    case StatusCode::kPermissionDenied: s = Status::PermissionDenied(client); break;
    case StatusCode::kNotFound: s = Status::NotFound(client); break;
    case StatusCode::kResourceExhausted: s = Status::ResourceExhausted(client); break;
    case StatusCode::kUnavailable: s = Status::Unavailable(client); break;
    case StatusCode::kUnimplemented: s = Status::Unimplemented(client); break;
    case StatusCode::kIoError: s = Status::IoError(client); break;
    case StatusCode::kOk:
    case StatusCode::kInternal: break;
  }
  std::string reason = m.substr(0, sep);
  std::string key_id;
  if (const size_t k = reason.find(kKeyIdSeparator); k != std::string::npos) {
    key_id = reason.substr(k + 1);
    reason.resize(k);
  }
  return {s, reason, key_id};
}

void StderrAuditSink::Record(const AuditRecord& r) {
  const std::string line = audit::AuditLine(audit::MaskRecord(r));
  std::lock_guard<std::mutex> lock(mu_);
  std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace deepgate::fcgi
