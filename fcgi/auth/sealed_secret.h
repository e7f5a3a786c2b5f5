// Sealing small secrets the worker must read back (a key's TOTP secret) under the master
// secret: AES-256-GCM with a key derived as HMAC-SHA256(master, purpose), a random 96-bit
// nonce per seal, and the purpose as associated data. The store only ever holds the sealed
// bytes; a store copied without /etc/deepgate/secrets yields nothing.
//   sealed = "s1" | nonce[12] | ciphertext[n] | tag[16]
// Thread-safety: stateless functions.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace deepgate::fcgi::auth {

// What a sealed value is for; one derived key per purpose, so a value sealed for one use
// does not open as another.
inline constexpr std::string_view kTotpSealPurpose = "deepgate totp secret v1";

[[nodiscard]] Result<std::string> SealSecret(std::string_view master, std::string_view purpose, std::string_view plaintext);
// InvalidArgument when the bytes are not a sealed value, or were sealed under another master
// secret or purpose, or altered (the GCM tag does not verify).
[[nodiscard]] Result<std::string> OpenSealedSecret(std::string_view master, std::string_view purpose, std::string_view sealed);

}  // namespace deepgate::fcgi::auth
