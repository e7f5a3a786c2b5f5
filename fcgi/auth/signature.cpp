#include "fcgi/auth/signature.h"

#include <openssl/bn.h>
#include <openssl/ec.h>

#include "fcgi/auth/crypto.h"

namespace deepgate::fcgi::auth {
namespace {

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};

bool DigestVerify(EVP_PKEY* key, std::string_view input, const unsigned char* sig, size_t sig_len) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), sig, sig_len, reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

// JWS ES256: R || S, each a 32-byte big-endian integer (RFC 7518 §3.4) → DER ECDSA-Sig-Value.
std::string RawEcdsaToDer(std::string_view raw) {
  std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter> sig(ECDSA_SIG_new());
  if (!sig) return "";
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return "";
  }
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return "";
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* p = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &p) != len) return "";
  return der;
}

}  // namespace

bool KeyFitsAlg(JwsAlg alg, const VerificationKey& key) {
  switch (alg) {
    case JwsAlg::kHS256: return key.type == KeyType::kHmac && !key.hmac_secret.empty();
    case JwsAlg::kRS256: return key.type == KeyType::kRsa && key.pkey != nullptr;
    case JwsAlg::kES256: return key.type == KeyType::kEcP256 && key.pkey != nullptr;
    case JwsAlg::kNone:
    case JwsAlg::kOther: break;
  }
  return false;
}

bool VerifyJwsSignature(JwsAlg alg, const VerificationKey& key, std::string_view input, std::string_view signature) {
  if (!KeyFitsAlg(alg, key)) return false;
  switch (alg) {
    case JwsAlg::kHS256:
      return ConstantTimeEquals(HmacSha256(key.hmac_secret, input), signature);
    case JwsAlg::kRS256:
      return DigestVerify(key.pkey.get(), input, reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size());
    case JwsAlg::kES256: {
      if (signature.size() != 64) return false;
      const std::string der = RawEcdsaToDer(signature);
      return !der.empty() &&
             DigestVerify(key.pkey.get(), input, reinterpret_cast<const unsigned char*>(der.data()), der.size());
    }
    case JwsAlg::kNone:
    case JwsAlg::kOther: break;
  }
  return false;
}

}  // namespace deepgate::fcgi::auth
