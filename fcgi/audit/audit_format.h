// How an AuditRecord is written: journald fields (DEEPGATE_EVENT, REQUEST_ID, ...) and the
// one-line key=value form for stderr. Both take a record that MaskRecord has already
// passed over. Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "fcgi/audit/audit_record.h"

namespace deepgate::fcgi::audit {

// Every string field through MaskSecrets.
AuditRecord MaskRecord(const AuditRecord& record);

// "NAME=value" fields for sd_journal_sendv: SYSLOG_IDENTIFIER=deepgate, MESSAGE, PRIORITY,
// DEEPGATE_EVENT, then the record's fields (empty strings left out).
std::vector<std::string> JournalFields(const AuditRecord& record);

// The MESSAGE text: "POST /v1/chat/completions 200 subject=... 12 ms" or the event's own.
std::string AuditMessage(const AuditRecord& record);

// "audit event=request request_id=... status=200 ..." (no newline), printable ASCII only.
std::string AuditLine(const AuditRecord& record);

}  // namespace deepgate::fcgi::audit
