// StoreConfig: the "store" object of deepgate.json — which key store backend the worker and
// the CLI use. The default (url "") is the SQLite file auth.key_store, so a single-host
// install changes nothing. Thread-safety: plain values.
#pragma once

#include <json/value.h>

#include <string>

#include "core/status.h"

namespace deepgate::fcgi::store {

struct StoreConfig {
  // "" = "sqlite:" + auth.key_store; "sqlite:PATH"; "postgres:" (DSN from dsn_file or the
  // systemd credential postgres_dsn) or "postgres:DSN_FILE".
  std::string url;
  // A file (0600/0640, like the secrets) holding the libpq DSN, password included.
  std::string dsn_file = "/etc/deepgate/secrets/postgres_dsn";
  int stale_key_seconds = 30;        // PostgreSQL down: keys confirmed this recently keep working
  int recheck_seconds = 10;          // cached records are re-read at least this often (safety net)
  int connect_timeout_ms = 3000;     // connect + authenticate
  int statement_timeout_ms = 2000;   // each query (client deadline and server statement_timeout)

  bool operator==(const StoreConfig&) const = default;
};

// systemd credential name of the DSN (LoadCredential=postgres_dsn:PATH).
inline constexpr const char* kPostgresDsnCredential = "postgres_dsn";

[[nodiscard]] Status ParseStoreConfig(const Json::Value& value, StoreConfig* out);

}  // namespace deepgate::fcgi::store
