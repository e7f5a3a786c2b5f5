// JWKS (RFC 7517) file of an external identity provider: its RSA and EC P-256 public keys,
// turned into OpenSSL keys once at load. Private parts, symmetric ("oct") keys and other
// curves are refused: an IdP's JWKS must only ever let us verify.
// Thread-safety: stateless functions; the keys returned are immutable.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "fcgi/auth/signature.h"

namespace deepgate::fcgi::auth {

// RSA keys shorter than this are refused (NIST SP 800-131A).
inline constexpr int kMinRsaBits = 2048;

[[nodiscard]] Result<std::vector<VerificationKey>> ParseJwks(const std::string& text, const std::string& origin);
[[nodiscard]] Result<std::vector<VerificationKey>> LoadJwksFile(const std::string& path);

}  // namespace deepgate::fcgi::auth
