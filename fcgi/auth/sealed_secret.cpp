#include "fcgi/auth/sealed_secret.h"

#include <openssl/evp.h>

#include <memory>

#include "fcgi/auth/crypto.h"

namespace deepgate::fcgi::auth {
namespace {

constexpr std::string_view kMagic = "s1";
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const unsigned char* Bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Runs one AES-256-GCM pass (encrypt or decrypt) over `in` into `out` (same length).
bool GcmPass(bool encrypt, std::string_view key, std::string_view nonce, std::string_view aad, std::string_view in,
             std::string* out, std::string* tag) {
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  int (*init)(EVP_CIPHER_CTX*, const EVP_CIPHER*, ENGINE*, const unsigned char*, const unsigned char*) =
      encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex;
  int (*update)(EVP_CIPHER_CTX*, unsigned char*, int*, const unsigned char*, int) =
      encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  if (init(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1) return false;
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) != 1) return false;
  if (init(ctx.get(), nullptr, nullptr, Bytes(key), Bytes(nonce)) != 1) return false;
  int n = 0;
  if (update(ctx.get(), nullptr, &n, Bytes(aad), static_cast<int>(aad.size())) != 1) return false;
  out->assign(in.size(), '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out->data());
  if (!in.empty() && update(ctx.get(), dst, &n, Bytes(in), static_cast<int>(in.size())) != 1) return false;
  if (encrypt) {
    if (EVP_EncryptFinal_ex(ctx.get(), dst + in.size(), &n) != 1) return false;
    tag->assign(kTagBytes, '\0');
    return EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, tag->data()) == 1;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag->data()) != 1) return false;
  return EVP_DecryptFinal_ex(ctx.get(), dst + in.size(), &n) == 1;  // 0: the tag does not verify
}

}  // namespace

Result<std::string> SealSecret(std::string_view master, std::string_view purpose, std::string_view plaintext) {
  DG_ASSIGN_OR_RETURN(std::string nonce, RandomBytes(kNonceBytes));
  const std::string key = HmacSha256(master, purpose);  // 32 bytes: the AES-256 key
  std::string ciphertext, tag;
  if (!GcmPass(true, key, nonce, purpose, plaintext, &ciphertext, &tag)) return Status::Internal("AES-256-GCM seal failed");
  return std::string(kMagic) + nonce + ciphertext + tag;
}

Result<std::string> OpenSealedSecret(std::string_view master, std::string_view purpose, std::string_view sealed) {
  if (sealed.size() < kMagic.size() + kNonceBytes + kTagBytes || sealed.substr(0, kMagic.size()) != kMagic)
    return Status::InvalidArgument("not a sealed secret");
  const std::string_view nonce = sealed.substr(kMagic.size(), kNonceBytes);
  const std::string_view body = sealed.substr(kMagic.size() + kNonceBytes, sealed.size() - kMagic.size() - kNonceBytes - kTagBytes);
  std::string tag(sealed.substr(sealed.size() - kTagBytes));
  const std::string key = HmacSha256(master, purpose);
  std::string plaintext;
  if (!GcmPass(false, key, nonce, purpose, body, &plaintext, &tag))
    return Status::InvalidArgument("sealed secret does not open (another master secret, or altered)");
  return plaintext;
}

}  // namespace deepgate::fcgi::auth
