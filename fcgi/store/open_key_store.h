// OpenKeyStore: the key store a store URL names — "sqlite:PATH" (SqliteKeyStore, created if
// missing, as before) or "postgres:[DSN_FILE]" (PostgresKeyStore; the schema must exist and be
// current: `deepgate store init|migrate` makes it). The DSN is read like the other secrets:
// the systemd credential postgres_dsn first, then the file, 0600/0640, never through a
// symlink; it never appears in a message. Thread-safety: call from one thread at a time.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "fcgi/audit/journal_writer.h"
#include "fcgi/auth/key_store.h"
#include "fcgi/store/store_config.h"

namespace deepgate::fcgi::store {

struct StoreUrl {
  bool postgres = false;
  std::string path;  // SQLite file, or the DSN file ("" = config's dsn_file / the credential)
};

// `url` "" means "sqlite:" + sqlite_default (auth.key_store).
[[nodiscard]] Result<StoreUrl> ParseStoreUrl(const std::string& url, const std::string& sqlite_default);
// The DSN for a postgres StoreUrl.
[[nodiscard]] Result<std::string> LoadDsn(const StoreUrl& url, const StoreConfig& config);

struct OpenOptions {
  bool listen = false;                            // workers: LISTEN for other hosts' changes
  std::unique_ptr<audit::JournalWriter> journal;  // postgres: backend_degraded events
};

[[nodiscard]] Result<std::unique_ptr<auth::KeyStore>> OpenKeyStore(const StoreUrl& url, const StoreConfig& config,
                                                                   OpenOptions options);

}  // namespace deepgate::fcgi::store
