#include "fcgi/store/pg_schema.h"

namespace deepgate::fcgi::store {
namespace {

// Version 1: the SQLite store's tables, PostgreSQL types (BYTEA for hashes and keys,
// BIGINT for unix seconds and limits, BIGSERIAL for the purge queue).
constexpr const char* kSchemaV1 =
    "CREATE TABLE api_keys ("
    " id TEXT PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " role TEXT NOT NULL,"
    " hash BYTEA NOT NULL,"
    " models TEXT NOT NULL DEFAULT '',"
    " requests_per_min BIGINT NOT NULL,"
    " tokens_per_min BIGINT NOT NULL,"
    " max_concurrent BIGINT NOT NULL,"
    " created_at BIGINT NOT NULL,"
    " expires_at BIGINT NOT NULL,"
    " revoked_at BIGINT NOT NULL DEFAULT 0,"
    " rotated_from TEXT NOT NULL DEFAULT '',"
    " superseded_by TEXT NOT NULL DEFAULT '',"
    " subject TEXT NOT NULL DEFAULT '',"
    " data_policy TEXT NOT NULL DEFAULT '',"
    " cert_sha256 TEXT NOT NULL DEFAULT '',"
    " totp_sealed BYTEA NOT NULL DEFAULT '\\x',"
    " totp_last_step BIGINT NOT NULL DEFAULT 0);"
    "CREATE INDEX api_keys_subject ON api_keys(subject);"
    "CREATE TABLE subject_keys ("
    " subject TEXT PRIMARY KEY,"
    " key BYTEA NOT NULL,"
    " created_at BIGINT NOT NULL);"
    "CREATE TABLE cache_purges ("
    " seq BIGSERIAL PRIMARY KEY,"
    " subject TEXT NOT NULL,"
    " created_at BIGINT NOT NULL);";

// An arbitrary constant naming deepgate's migration lock.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7163551250)";

}  // namespace

Result<int> PgSchemaVersion(PgConnection& conn) {
  DG_ASSIGN_OR_RETURN(PgResult t, conn.Query("SELECT to_regclass('deepgate_schema') IS NOT NULL"));
  if (t.Get(0, 0) != "t") return 0;
  DG_ASSIGN_OR_RETURN(PgResult v, conn.Query("SELECT COALESCE(MAX(version), 0) FROM deepgate_schema"));
  return static_cast<int>(v.GetInt(0, 0));
}

Result<int> PgMigrate(PgConnection& conn) {
  DG_RETURN_IF_ERROR(conn.Script("BEGIN"));
  auto rollback = [&](Status s) {
    (void)conn.Script("ROLLBACK");
    return s;
  };
  if (Status s = conn.Script(kMigrationLock); !s.ok()) return rollback(s);
  Result<int> before = PgSchemaVersion(conn);
  if (!before.ok()) return rollback(before.status());
  if (*before > kPgSchemaVersion)
    return rollback(Status::InvalidArgument("key store: the PostgreSQL schema is version " + std::to_string(*before) +
                                            ", newer than this deepgate (" + std::to_string(kPgSchemaVersion) +
                                            "); upgrade deepgate"));
  if (*before == 0) {
    if (Status s = conn.Script(std::string("CREATE TABLE deepgate_schema (version INTEGER NOT NULL);") + kSchemaV1);
        !s.ok())
      return rollback(s);
  }
  // Later versions add their steps here: if (*before < 2) { ... }
  if (*before < kPgSchemaVersion) {
    if (Status s = conn.Script("DELETE FROM deepgate_schema; INSERT INTO deepgate_schema VALUES (" +
                               std::to_string(kPgSchemaVersion) + ")");
        !s.ok())
      return rollback(s);
  }
  DG_RETURN_IF_ERROR(conn.Script("COMMIT"));
  return *before;
}

Status PgCheckSchema(PgConnection& conn) {
  DG_ASSIGN_OR_RETURN(int v, PgSchemaVersion(conn));
  if (v == kPgSchemaVersion) return Status::Ok();
  if (v == 0)
    return Status::InvalidArgument("key store: the PostgreSQL database has no deepgate schema; "
                                   "run: deepgate store init --store postgres:DSN_FILE");
  if (v < kPgSchemaVersion)
    return Status::InvalidArgument("key store: the PostgreSQL schema is version " + std::to_string(v) +
                                   ", this deepgate needs " + std::to_string(kPgSchemaVersion) +
                                   "; run: deepgate store migrate --store postgres:DSN_FILE");
  return Status::InvalidArgument("key store: the PostgreSQL schema is version " + std::to_string(v) +
                                 ", newer than this deepgate (" + std::to_string(kPgSchemaVersion) + "); upgrade deepgate");
}

}  // namespace deepgate::fcgi::store
