// Audit entries the CLI writes itself (model files, erasure): who ran it, and one place that
// opens the CLI's journal sink and warns when no journald listens. Thread-safety: CLI only.
#pragma once

#include <string>

#include "fcgi/audit/audit_record.h"

namespace deepgate::cli {

// "cli:<user>" (SUDO_USER, else USER, else the uid): the operator behind a CLI action.
std::string Actor();

// Records `record` with outcome "ok" and " by=<Actor()>" appended to its message.
void AuditCliEvent(fcgi::AuditRecord record);

}  // namespace deepgate::cli
