// Audit entries the CLI writes itself (model files, erasure): who ran it, and one place that
// opens the CLI's journal sink and warns when no journald listens. Thread-safety: CLI only.
#pragma once

#include <string>

#include "fcgi/audit/audit_record.h"
#include "fcgi/auth/key_store.h"

namespace deepgate::cli {

// "cli:<user>" (SUDO_USER, else USER, else the uid): the operator behind a CLI action.
std::string Actor();

// Records `record` with outcome "ok" and " by=<Actor()>" appended to its message.
void AuditCliEvent(fcgi::AuditRecord record);

// A key change made by the CLI, audited like the admin API's (the actor as SUBJECT).
void AuditKeyEvent(fcgi::AuditEvent event, const fcgi::auth::KeyRecord& key);

}  // namespace deepgate::cli
