#include "fcgi/auth/client_cert.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cctype>
#include <memory>

#include "fcgi/auth/crypto.h"

namespace deepgate::fcgi::auth {
namespace {
struct BioDeleter {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Deleter {
  void operator()(X509* x) const { X509_free(x); }
};
}  // namespace

std::optional<std::string> ParseCertFingerprint(std::string_view text) {
  std::string t(text);
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view prefix : {"sha256 fingerprint=", "sha2-256:", "sha256:", "sha256="}) {
    if (t.rfind(prefix, 0) == 0) {
      t.erase(0, prefix.size());
      break;
    }
  }
  std::string hex;
  for (char c : t) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    hex.push_back(c);
  }
  if (hex.size() != 64) return std::nullopt;
  return hex;
}

std::optional<std::string> CertFingerprintFromPem(std::string_view pem) {
  if (pem.empty() || pem.size() > 64 * 1024) return std::nullopt;
  std::unique_ptr<BIO, BioDeleter> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return std::nullopt;
  std::unique_ptr<X509, X509Deleter> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return std::nullopt;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md, &len) != 1 || len != 32) return std::nullopt;
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

AuthFailure CheckCertBinding(const std::string& bound_sha256, std::string_view presented_pem) {
  if (bound_sha256.empty()) return AuthFailure::kNone;
  if (presented_pem.empty()) return AuthFailure::kKeyCertMissing;
  std::optional<std::string> presented = CertFingerprintFromPem(presented_pem);
  if (!presented || !ConstantTimeEquals(*presented, bound_sha256)) return AuthFailure::kKeyCertMismatch;
  return AuthFailure::kNone;
}

}  // namespace deepgate::fcgi::auth
