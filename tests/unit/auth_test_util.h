// Test helpers for auth: temp dirs, JWT signing with RSA/EC keys made on the fly (OpenSSL 3),
// JWKS text for those keys. Tests only; the server never signs with RS256/ES256.
#pragma once

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "fcgi/auth/crypto.h"
#include "fcgi/auth/signature.h"
#include "fcgi/http/json.h"

namespace deepgate::fcgi::auth::testing {

inline std::string TempDir(const std::string& tag) {
  std::string t = (std::filesystem::temp_directory_path() / ("dg-auth-" + tag + "-XXXXXX")).string();
  return mkdtemp(t.data());
}

inline EVP_PKEY* MakeRsaKey() { return EVP_RSA_gen(2048); }
inline EVP_PKEY* MakeEcKey() { return EVP_EC_gen("P-256"); }

inline std::string BnParam(EVP_PKEY* k, const char* name) {
  BIGNUM* bn = nullptr;
  EVP_PKEY_get_bn_param(k, name, &bn);
  std::string out(static_cast<size_t>(BN_num_bytes(bn)), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(out.data()));
  BN_free(bn);
  return out;
}

// {"keys":[...]} for an RSA and/or EC key.
inline std::string Jwks(EVP_PKEY* rsa, const std::string& rsa_kid, EVP_PKEY* ec, const std::string& ec_kid) {
  Json::Value keys(Json::arrayValue);
  if (rsa) {
    Json::Value k;
    k["kty"] = "RSA";
    k["kid"] = rsa_kid;
    k["n"] = Base64UrlEncode(BnParam(rsa, OSSL_PKEY_PARAM_RSA_N));
    k["e"] = Base64UrlEncode(BnParam(rsa, OSSL_PKEY_PARAM_RSA_E));
    keys.append(k);
  }
  if (ec) {
    unsigned char buf[65];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, buf, sizeof buf, &len);
    Json::Value k;
    k["kty"] = "EC";
    k["crv"] = "P-256";
    k["kid"] = ec_kid;
    k["x"] = Base64UrlEncode(std::string(reinterpret_cast<char*>(buf) + 1, 32));
    k["y"] = Base64UrlEncode(std::string(reinterpret_cast<char*>(buf) + 33, 32));
    keys.append(k);
  }
  Json::Value root;
  root["keys"] = keys;
  return WriteJson(root);
}

inline std::string SignWith(EVP_PKEY* key, const std::string& input) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string sig(len, '\0');
  EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  sig.resize(len);
  EVP_MD_CTX_free(ctx);
  return sig;
}

// DER ECDSA-Sig-Value → JWS raw r||s.
inline std::string DerToRaw(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  ECDSA_SIG_free(sig);
  return raw;
}

inline std::string Segments(const Json::Value& header, const Json::Value& payload) {
  return Base64UrlEncode(WriteJson(header)) + "." + Base64UrlEncode(WriteJson(payload));
}

}  // namespace deepgate::fcgi::auth::testing
