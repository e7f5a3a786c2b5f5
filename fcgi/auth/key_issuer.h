// Creating and rotating API keys: generate (api_key.h), hash with the pepper, store
// (key_store.h). Shared by the admin API and the `deepgate keys` CLI so both make keys the
// same way. Thread-safety: stateless functions over a thread-safe KeyStore.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "fcgi/auth/key_store.h"
#include "fcgi/auth/secrets.h"

namespace deepgate::fcgi::auth {

struct KeySpec {
  std::string name;
  std::string role;                  // checked against the role table by the caller
  std::vector<std::string> models;   // empty = every model
  int64_t requests_per_min = 120;
  int64_t tokens_per_min = 0;        // 0 = no limit
  int64_t max_concurrent = 0;        // 0 = no limit
  int64_t lifetime_s = 90 * 86400;
  std::string subject;               // owner (data subject) for audit and erasure; "" = the key id
  DataPolicy data_policy = DataPolicy::kDeploymentDefault;  // may its requests overflow off-site
  std::string cert_sha256;           // bound client certificate (client_cert.h), "" = none
};

struct IssuedKey {
  KeyRecord record;
  std::string plaintext;  // the only copy: print it once
};

// InvalidArgument for a bad name/model/limit.
[[nodiscard]] Status ValidateKeySpec(const KeySpec& spec);

[[nodiscard]] Result<IssuedKey> CreateKey(KeyStore& store, const Secrets& secrets, const KeySpec& spec, int64_t now);

// New key with the old one's name, role, models and limits and a fresh lifetime of the old
// key's length; the old key stays valid for overlap_s more (never longer than it had).
[[nodiscard]] Result<IssuedKey> RotateKey(KeyStore& store, const Secrets& secrets, const std::string& id,
                                          int64_t overlap_s, int64_t now);

}  // namespace deepgate::fcgi::auth
