// API key format, generation and hashing.
//
//   dg_<key id>_<secret>
//   key id: 16 lower-case hex digits (8 CSPRNG bytes); names the key in logs and the store.
//   secret: base64url, no padding (43 chars) of HMAC-SHA256(master secret, "<unix time>:<salt hex>")
//           with salt = 16 bytes from RAND_bytes.
// The id is hex, so the first '_' after "dg_" ends it even though base64url may contain '_'.
// The store keeps only HMAC-SHA256(pepper, whole key): a stolen database yields no usable
// key, and without the pepper not even an offline guess can be checked.
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace deepgate::fcgi::auth {

inline constexpr std::string_view kApiKeyPrefix = "dg_";
inline constexpr size_t kKeyIdChars = 16;
inline constexpr size_t kKeySecretChars = 43;

struct ParsedApiKey {
  std::string id;
};

// True when the bearer token claims to be an API key (so JWT parsing is not tried).
bool LooksLikeApiKey(std::string_view token);

// The key id, or nullopt when the token does not have exactly the documented shape.
std::optional<ParsedApiKey> ParseApiKey(std::string_view token);

struct GeneratedApiKey {
  std::string id;
  std::string plaintext;  // shown to the operator once, never stored or logged
};
[[nodiscard]] Result<GeneratedApiKey> GenerateApiKey(std::string_view master_secret, int64_t now);

// HMAC-SHA256(pepper, key): the 32 raw bytes the store keeps.
std::string HashApiKey(std::string_view pepper, std::string_view plaintext);

// Key ids are also used in URLs and the CLI: exactly kKeyIdChars lower-case hex digits.
bool IsValidKeyId(std::string_view id);

}  // namespace deepgate::fcgi::auth
