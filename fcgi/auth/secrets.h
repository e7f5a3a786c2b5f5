// Server secrets (API-key master secret, key-hash pepper, HS256 signing key), read from files.
//
// Each secret is looked up first as a systemd credential ($CREDENTIALS_DIRECTORY/<name>, set
// by LoadCredential= in the unit), then at its configured path. A file that others can read,
// or that its group can write, is refused: a leaked pepper or signing key lets anyone mint
// credentials. Errors name the file and its mode, never its content.
// Thread-safety: plain values once loaded.
#pragma once

#include <string>

#include "core/status.h"

namespace deepgate::fcgi::auth {

// Shorter secrets are refused: HMAC-SHA256 keys should carry at least 256 bits.
inline constexpr size_t kMinSecretBytes = 32;

// Content with one trailing newline removed. InvalidArgument for unsafe permissions or a
// too-short secret, IoError when it cannot be read. `name` is the systemd credential name.
[[nodiscard]] Result<std::string> LoadSecret(const std::string& name, const std::string& path);

// The permission rule on its own: ok for 0600/0640/0400/0440, refused when world-accessible or
// group-writable, or not a regular file.
[[nodiscard]] Status CheckSecretFileMode(const std::string& path, unsigned mode, bool regular_file);

// Reads a file that decides who may authenticate (a secret, an IdP's JWKS): never through a
// symlink, a regular file, CheckSecretFileMode's permissions, owned by root or by this process's
// user (a file another user owns could be rewritten by them), at most max_bytes. `what` names it
// in errors ("secret file", "JWKS file").
[[nodiscard]] Result<std::string> ReadProtectedFile(const std::string& path, size_t max_bytes, const std::string& what);

struct Secrets {
  std::string master;   // keys are HMAC(master, "timestamp:salt")
  std::string pepper;   // the store holds HMAC(pepper, key) only
  std::string jwt_key;  // HS256 tokens we issue
};

}  // namespace deepgate::fcgi::auth
