// JWS signature verification over OpenSSL EVP: HS256 (HMAC-SHA256, constant-time compare),
// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) and ES256 (ECDSA P-256 with SHA-256; JWS carries
// the signature as raw r||s, 32 bytes each, which is converted to DER for OpenSSL).
// Thread-safety: a VerificationKey is immutable after construction; EVP_PKEY is shared
// read-only between threads, which OpenSSL 3 allows.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>
#include <string_view>

#include "fcgi/auth/jwt.h"

namespace deepgate::fcgi::auth {

struct PkeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using PkeyPtr = std::shared_ptr<EVP_PKEY>;
inline PkeyPtr WrapPkey(EVP_PKEY* k) { return PkeyPtr(k, PkeyDeleter()); }

enum class KeyType { kHmac, kRsa, kEcP256 };

struct VerificationKey {
  std::string kid;          // "" when the issuer has a single key without an id
  KeyType type = KeyType::kHmac;
  std::string hmac_secret;  // kHmac
  PkeyPtr pkey;             // kRsa, kEcP256
};

// The key type each algorithm needs: a key of another type is never tried (this is what stops
// HS/RS confusion, where an RSA public key would be used as an HMAC secret).
bool KeyFitsAlg(JwsAlg alg, const VerificationKey& key);

// True only for a valid signature by `key` under `alg` (which must fit the key).
bool VerifyJwsSignature(JwsAlg alg, const VerificationKey& key, std::string_view signing_input,
                        std::string_view signature);

}  // namespace deepgate::fcgi::auth
