#include "fcgi/store/open_key_store.h"

#include <unistd.h>

#include <cstdlib>

#include "fcgi/auth/secrets.h"
#include "fcgi/auth/sqlite_key_store.h"
#include "fcgi/store/postgres_key_store.h"

namespace deepgate::fcgi::store {

Result<StoreUrl> ParseStoreUrl(const std::string& url, const std::string& sqlite_default) {
  if (url.empty()) return StoreUrl{false, sqlite_default};
  if (url.rfind("sqlite:", 0) == 0 && url.size() > 7) return StoreUrl{false, url.substr(7)};
  if (url.rfind("postgres:", 0) == 0) return StoreUrl{true, url.substr(9)};
  return Status::InvalidArgument("store URL must be sqlite:PATH, postgres: or postgres:DSN_FILE");
}

Result<std::string> LoadDsn(const StoreUrl& url, const StoreConfig& config) {
  std::string path = url.path.empty() ? config.dsn_file : url.path;
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); url.path.empty() && dir && *dir) {
    const std::string candidate = std::string(dir) + "/" + kPostgresDsnCredential;
    if (::access(candidate.c_str(), F_OK) == 0) path = candidate;
  }
  if (path.empty()) return Status::InvalidArgument("key store: no PostgreSQL DSN file configured (store.dsn_file)");
  DG_ASSIGN_OR_RETURN(std::string dsn, auth::ReadProtectedFile(path, 4096, "PostgreSQL DSN file"));
  while (!dsn.empty() && (dsn.back() == '\n' || dsn.back() == '\r' || dsn.back() == ' ')) dsn.pop_back();
  if (dsn.empty()) return Status::InvalidArgument("key store: the PostgreSQL DSN file " + path + " is empty");
  if (dsn.find('\n') != std::string::npos || dsn.find('\0') != std::string::npos)
    return Status::InvalidArgument("key store: the PostgreSQL DSN file " + path + " must hold one line");
  return dsn;
}

Result<std::unique_ptr<auth::KeyStore>> OpenKeyStore(const StoreUrl& url, const StoreConfig& config,
                                                     OpenOptions options) {
  if (!url.postgres) {
    DG_ASSIGN_OR_RETURN(std::unique_ptr<auth::SqliteKeyStore> s, auth::SqliteKeyStore::Open(url.path));
    return std::unique_ptr<auth::KeyStore>(std::move(s));
  }
  PgStoreOptions pg;
  DG_ASSIGN_OR_RETURN(pg.dsn, LoadDsn(url, config));
  pg.timeouts = PgTimeouts{config.connect_timeout_ms, config.statement_timeout_ms};
  pg.stale_key_seconds = config.stale_key_seconds;
  pg.recheck_seconds = config.recheck_seconds;
  pg.listen = options.listen;
  pg.journal = std::move(options.journal);
  DG_ASSIGN_OR_RETURN(std::unique_ptr<PostgresKeyStore> s, PostgresKeyStore::Open(std::move(pg)));
  return std::unique_ptr<auth::KeyStore>(std::move(s));
}

}  // namespace deepgate::fcgi::store
