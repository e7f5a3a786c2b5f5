// The admin API for API keys (admin role; RoleAuthoriser enforces it by route name):
//   POST /admin/keys               create; 201 with the key — the only time it is shown
//   GET  /admin/keys[?expiring=14d] list (never hashes or secrets); last_used_at from the audit
//                                   trail (the newest `request` entry of the key), null if none
//   POST /admin/keys/{id}/revoke
//   POST /admin/keys/{id}/rotate   body {"overlap":"7d"} optional; 201 with the new key
// Thread-safety: handlers run concurrently; the key store serialises writes.
#pragma once

#include <json/value.h>

#include "fcgi/audit/journal_reader.h"
#include "fcgi/auth/auth_context.h"
#include "fcgi/auth/key_store.h"
#include "fcgi/base/stages.h"
#include "fcgi/http/router.h"

namespace deepgate::fcgi {

// Every create/revoke/rotate is recorded in `audit` (key_created/key_revoked/key_rotated).
// `journal` (may be null: last_used_at is then null) reads the keys' last use back.
void AddAdminKeyRoutes(Router& router, const auth::AuthContext& auth, AuditSink& audit,
                       audit::AuditJournal* journal = nullptr);

// Sets "last_used_at" (unix s, or null) on each listed key from `last_use` (key id → µs).
void AddLastUse(Json::Value& keys, const std::map<std::string, int64_t>& last_use);

// A key record as JSON for the admin API and `deepgate keys list --json`: no hash.
Json::Value KeyRecordJson(const auth::KeyRecord& record, int64_t now);

// "active", "revoked", "expired", "rotated" (superseded and past its overlap) or "rotating"
// (superseded, still inside its overlap).
const char* KeyState(const auth::KeyRecord& record, int64_t now);

}  // namespace deepgate::fcgi
