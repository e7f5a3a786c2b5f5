#include "fcgi/auth/jwks.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>

#include <fstream>
#include <sstream>

#include "fcgi/auth/crypto.h"
#include "fcgi/auth/secrets.h"
#include "fcgi/http/json.h"

namespace deepgate::fcgi::auth {
namespace {

struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct PkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};

Result<std::string> Member(const Json::Value& jwk, const char* name) {
  const Json::Value& v = jwk[name];
  if (!v.isString()) return Status::InvalidArgument(std::string("JWK member '") + name + "' must be a string");
  std::optional<std::string> bytes = Base64UrlDecode(v.asString());
  if (!bytes || bytes->empty()) return Status::InvalidArgument(std::string("JWK member '") + name + "' is not base64url");
  return *bytes;
}

Result<PkeyPtr> FromData(const char* type, OSSL_PARAM_BLD* bld) {
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1)
    return Status::InvalidArgument(std::string("JWK is not a valid ") + type + " public key");
  return WrapPkey(key);
}

Result<VerificationKey> RsaKey(const Json::Value& jwk) {
  DG_ASSIGN_OR_RETURN(std::string n, Member(jwk, "n"));
  DG_ASSIGN_OR_RETURN(std::string e, Member(jwk, "e"));
  std::unique_ptr<BIGNUM, BnDeleter> bn_n(BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr));
  std::unique_ptr<BIGNUM, BnDeleter> bn_e(BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return Status::Internal("out of memory building an RSA key");
  VerificationKey key;
  key.type = KeyType::kRsa;
  DG_ASSIGN_OR_RETURN(key.pkey, FromData("RSA", bld.get()));
  if (EVP_PKEY_get_bits(key.pkey.get()) < kMinRsaBits)
    return Status::InvalidArgument("RSA key shorter than " + std::to_string(kMinRsaBits) + " bits");
  return key;
}

Result<VerificationKey> EcKey(const Json::Value& jwk) {
  if (!jwk["crv"].isString() || jwk["crv"].asString() != "P-256")
    return Status::InvalidArgument("only EC keys on curve P-256 are supported");
  DG_ASSIGN_OR_RETURN(std::string x, Member(jwk, "x"));
  DG_ASSIGN_OR_RETURN(std::string y, Member(jwk, "y"));
  if (x.size() != 32 || y.size() != 32) return Status::InvalidArgument("P-256 coordinates must be 32 bytes");
  const std::string point = std::string(1, '\x04') + x + y;  // SEC 1 uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1)
    return Status::Internal("out of memory building an EC key");
  VerificationKey key;
  key.type = KeyType::kEcP256;
  DG_ASSIGN_OR_RETURN(key.pkey, FromData("EC", bld.get()));
  return key;
}

}  // namespace

Result<std::vector<VerificationKey>> ParseJwks(const std::string& text, const std::string& origin) {
  Result<Json::Value> root = ParseJsonObject(text);
  if (!root.ok()) return Status::InvalidArgument(origin + ": " + root.status().message());
  const Json::Value& keys = (*root)["keys"];
  if (!keys.isArray()) return Status::InvalidArgument(origin + ": a JWKS needs a \"keys\" array");
  std::vector<VerificationKey> out;
  for (Json::ArrayIndex i = 0; i < keys.size(); ++i) {
    const Json::Value& jwk = keys[i];
    const std::string where = origin + ": key " + std::to_string(i);
    if (!jwk.isObject()) return Status::InvalidArgument(where + " is not an object");
    if (jwk.isMember("d")) return Status::InvalidArgument(where + " holds a private key; publish public keys only");
    if (jwk.isMember("use") && (!jwk["use"].isString() || jwk["use"].asString() != "sig")) continue;  // not for signing
    if (!jwk["kty"].isString()) return Status::InvalidArgument(where + ": 'kty' must be a string");
    const std::string kty = jwk["kty"].asString();
    Result<VerificationKey> key = kty == "RSA" ? RsaKey(jwk)
                                  : kty == "EC" ? EcKey(jwk)
                                                : Result<VerificationKey>(Status::InvalidArgument("unsupported kty '" + kty.substr(0, 16) + "'"));
    if (!key.ok()) return key.status().WithContext(where);
    if (jwk["kid"].isString()) key->kid = jwk["kid"].asString();
    out.push_back(std::move(key).value());
  }
  if (out.empty()) return Status::InvalidArgument(origin + ": no signing keys");
  return out;
}

Result<std::vector<VerificationKey>> LoadJwksFile(const std::string& path) {
  // Whoever can rewrite this file can mint tokens: the same rules as the secret files.
  DG_ASSIGN_OR_RETURN(std::string text, ReadProtectedFile(path, 1 << 20, "JWKS file"));
  return ParseJwks(text, path);
}

}  // namespace deepgate::fcgi::auth
