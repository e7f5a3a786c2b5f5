// The PostgreSQL key store's schema: the same tables and columns as the SQLite store
// (sqlite_key_store.cpp), versioned in deepgate_schema. Created and migrated only by the CLI
// (`deepgate store init|migrate`); a worker checks the version and refuses to start on a
// database without the schema or with an older one. Thread-safety: functions over one
// connection.
#pragma once

#include "core/status.h"
#include "fcgi/store/pg_connection.h"

namespace deepgate::fcgi::store {

inline constexpr int kPgSchemaVersion = 1;
// The LISTEN/NOTIFY channel every writer notifies and every worker listens on.
inline constexpr const char* kPgChannel = "deepgate_key_store";

// The version stored (0 = no schema at all).
[[nodiscard]] Result<int> PgSchemaVersion(PgConnection& conn);
// Creates the schema, or brings an older one up to kPgSchemaVersion, in one transaction
// (under an advisory lock, so two operators running it at once do not race). Returns the
// version found before. FailedPrecondition-like InvalidArgument for a newer schema.
[[nodiscard]] Result<int> PgMigrate(PgConnection& conn);
// Ok only for the current version; otherwise an error telling the operator what to run.
[[nodiscard]] Status PgCheckSchema(PgConnection& conn);

}  // namespace deepgate::fcgi::store
