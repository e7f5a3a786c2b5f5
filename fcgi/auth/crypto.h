// The few cryptographic primitives auth needs, all over OpenSSL: CSPRNG bytes, HMAC-SHA256,
// constant-time comparison, hex and base64url (RFC 4648 §5, no padding, as JWS uses).
// Thread-safety: stateless functions (OpenSSL 3 is thread-safe for these).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace deepgate::fcgi::auth {

// n bytes from OpenSSL's CSPRNG (RAND_bytes); Internal when the RNG is not seeded.
[[nodiscard]] Result<std::string> RandomBytes(size_t n);

// HMAC-SHA256(key, data): 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

// Equal length and equal bytes, in time that depends only on the length (CRYPTO_memcmp).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

std::string HexEncode(std::string_view bytes);  // lower case

std::string Base64UrlEncode(std::string_view bytes);  // no '=' padding
// Strict: only [A-Za-z0-9_-], no padding, no whitespace, and the unused low bits of the last
// character must be zero (so one token has one encoding). nullopt otherwise.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace deepgate::fcgi::auth
