// `deepgate store init|migrate|copy`: the key store's schema is made and upgraded here, never
// by a worker, and an existing single-host SQLite store is copied to PostgreSQL with its ids,
// hashes and pseudonym keys (so its keys keep working and old audit pseudonyms still match).
#include <unistd.h>

#include <iostream>

#include "fcgi/auth/sqlite_key_store.h"
#include "fcgi/cli/auth_cli.h"
#include "fcgi/cli/command.h"
#include "fcgi/cli/state_owner.h"
#include "fcgi/config.h"
#include "fcgi/store/open_key_store.h"
#include "fcgi/store/pg_schema.h"

namespace deepgate::cli {
namespace {

constexpr const char* kStoreHelp =
    "  URL: sqlite:PATH | postgres: (DSN from store.dsn_file) | postgres:DSN_FILE\n"
    "  the DSN file (0600/0640) holds one libpq line: host=... port=... dbname=... user=... password=...\n"
    "  --config FILE   deepgate.json for the defaults (store.url, auth.key_store, timeouts);\n"
    "                  default /etc/deepgate/deepgate.json when it exists\n";

// The config named by --config, the default one when it exists, else built-in defaults.
Result<fcgi::WorkerConfig> CliConfig(const Args& a) {
  if (a.Has("--config")) return fcgi::LoadConfig(*a.Get("--config"));
  if (::access(kDefaultConfigPath, R_OK) == 0) return fcgi::LoadConfig(kDefaultConfigPath);
  return fcgi::WorkerConfig{};
}

Result<fcgi::store::StoreUrl> UrlArg(const Args& a, const char* flag, const fcgi::WorkerConfig& c) {
  return fcgi::store::ParseStoreUrl(a.GetOr(flag, c.store.url), c.auth.key_store);
}

// init and migrate are one operation: bring the schema to this version (creating it if
// absent). `init` says so when it found one already.
int InitOrMigrate(const std::vector<std::string>& argv, bool init) {
  Args a(argv, {"--store", "--config"}, {});
  if (!a.ok() || !a.positional().empty())
    return Fail(std::string("usage: deepgate store ") + (init ? "init" : "migrate") + " [--store URL] [--config FILE]", 2);
  Result<fcgi::WorkerConfig> config = CliConfig(a);
  if (!config.ok()) return Fail(config.status().message());
  Result<fcgi::store::StoreUrl> url = UrlArg(a, "--store", *config);
  if (!url.ok()) return Fail(url.status().message(), 2);
  if (!url->postgres) {  // SQLite makes its schema on open, as it always has
    if (!BecomeStateOwner(url->path)) return 1;
    Result<std::unique_ptr<fcgi::auth::SqliteKeyStore>> s = fcgi::auth::SqliteKeyStore::Open(url->path);
    if (!s.ok()) return Fail(s.status().message());
    std::cout << "sqlite key store ready: " << url->path << "\n";
    return 0;
  }
  Result<std::string> dsn = fcgi::store::LoadDsn(*url, config->store);
  if (!dsn.ok()) return Fail(dsn.status().message());
  Result<std::unique_ptr<fcgi::store::PgConnection>> conn = fcgi::store::PgConnection::Connect(
      *dsn, {config->store.connect_timeout_ms, std::max(config->store.statement_timeout_ms, 30000)});
  if (!conn.ok()) return Fail(conn.status().message());
  Result<int> before = fcgi::store::PgMigrate(**conn);
  if (!before.ok()) return Fail(before.status().message());
  const int now = fcgi::store::kPgSchemaVersion;
  if (*before == now) std::cout << "postgres key store schema already at version " << now << "\n";
  else if (*before == 0) std::cout << "postgres key store schema created (version " << now << ")\n";
  else std::cout << "postgres key store schema migrated from version " << *before << " to " << now << "\n";
  return 0;
}

int Init(const std::vector<std::string>& argv) { return InitOrMigrate(argv, true); }
int Migrate(const std::vector<std::string>& argv) { return InitOrMigrate(argv, false); }

// Keys (same id, hash, everything) and pseudonym keys. A key id already present at the
// destination is left as it is and counted; a different pseudonym key there is an error
// (the subject's old audit pseudonyms would no longer match).
int CopyInto(fcgi::auth::KeyStore& from, fcgi::auth::KeyStore& to) {
  Result<std::vector<fcgi::auth::KeyRecord>> keys = from.List();
  if (!keys.ok()) return Fail(keys.status().message());
  int copied = 0, present = 0;
  for (const fcgi::auth::KeyRecord& k : *keys) {
    Status s = to.Insert(k);
    if (s.ok()) ++copied;
    else if (s.code() == StatusCode::kInvalidArgument) ++present;
    else return Fail("copying key " + k.id + ": " + s.message());
  }
  Result<std::vector<fcgi::auth::SubjectKeyRecord>> subjects = from.ListSubjectKeys();
  if (!subjects.ok()) return Fail(subjects.status().message());
  for (const fcgi::auth::SubjectKeyRecord& sk : *subjects) {
    Result<std::string> stored = to.SubjectKey(sk.subject, sk.key, sk.created_at);
    if (!stored.ok()) return Fail("copying pseudonym keys: " + stored.status().message());
    if (*stored != sk.key) return Fail("the destination already holds a different pseudonym key for a subject");
  }
  std::cout << "copied " << copied << " key(s) (" << present << " already present) and " << subjects->size()
            << " pseudonym key(s)\n";
  return 0;
}

int Copy(const std::vector<std::string>& argv) {
  Args a(argv, {"--from", "--to", "--config"}, {});
  if (!a.ok() || !a.positional().empty() || !a.Has("--from") || !a.Has("--to"))
    return Fail("usage: deepgate store copy --from URL --to URL [--config FILE]", 2);
  Result<fcgi::WorkerConfig> config = CliConfig(a);
  if (!config.ok()) return Fail(config.status().message());
  Result<fcgi::store::StoreUrl> from_url = UrlArg(a, "--from", *config);
  Result<fcgi::store::StoreUrl> to_url = UrlArg(a, "--to", *config);
  if (!from_url.ok() || !to_url.ok()) return Fail((from_url.ok() ? to_url : from_url).status().message(), 2);
  if (!from_url->postgres && ::access(from_url->path.c_str(), F_OK) != 0)
    return Fail("no key store at " + from_url->path);  // Open would create an empty one
  auto from = fcgi::store::OpenKeyStore(*from_url, config->store, {});
  if (!from.ok()) return Fail(from.status().message());
  auto to = fcgi::store::OpenKeyStore(*to_url, config->store, {});
  if (!to.ok()) return Fail(to.status().message());
  return CopyInto(**from, **to);
}

CommandRegistration init_cmd({"store init", "create the key store's schema (PostgreSQL: before any worker starts)",
                              std::string("usage: deepgate store init [--store URL] [--config FILE]\n") + kStoreHelp,
                              Init});
CommandRegistration migrate_cmd({"store migrate", "upgrade the key store's schema to this version",
                                 std::string("usage: deepgate store migrate [--store URL] [--config FILE]\n") + kStoreHelp,
                                 Migrate});
CommandRegistration copy_cmd({"store copy", "copy every key and pseudonym key from one key store to another",
                              std::string("usage: deepgate store copy --from URL --to URL [--config FILE]\n"
                                          "  e.g. --from sqlite:/var/lib/deepgate/keys.db --to postgres:\n"
                                          "  ids and hashes are kept: copied keys keep working\n") +
                                  kStoreHelp,
                              Copy});

}  // namespace
}  // namespace deepgate::cli
