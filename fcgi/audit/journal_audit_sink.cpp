#include "fcgi/audit/journal_audit_sink.h"

#include <cstring>

#include "fcgi/audit/audit_format.h"

namespace deepgate::fcgi::audit {

void JournalAuditSink::Record(const AuditRecord& record) {
  AuditRecord masked = MaskRecord(record);
  // Pseudonymised after masking, so the masker never sees (or rewrites) the HMAC.
  if (pseudonyms_ != nullptr) masked.subject = pseudonyms_->Pseudonym(record.subject);
  if (journal_) {
    if (const int rc = journal_->Send(JournalFields(masked)); rc < 0) {
      ++send_errors_;
      // Say so once on stderr (which systemd also captures); every failure is counted.
      if (!error_reported_.exchange(true)) {
        std::lock_guard<std::mutex> lock(err_mu_);
        std::fprintf(err_, "deepgate-fcgi: audit: journal send failed: %s (counting further failures)\n",
                     std::strerror(-rc));
      }
    } else {
      ++entries_;
    }
  }
  if (stderr_lines_) {
    const std::string line = AuditLine(masked);
    std::lock_guard<std::mutex> lock(err_mu_);
    std::fprintf(err_, "%s\n", line.c_str());
  }
}

}  // namespace deepgate::fcgi::audit
