#include "fcgi/auth/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fcgi/auth/crypto.h"

namespace deepgate::fcgi::auth {

int64_t TotpStep(int64_t unix_seconds) {
  // floor division: times before the epoch (a broken clock) still map to a distinct step.
  return unix_seconds >= 0 ? unix_seconds / kTotpStepSeconds : -((-unix_seconds + kTotpStepSeconds - 1) / kTotpStepSeconds);
}

std::string HotpCode(std::string_view secret, uint64_t counter, int digits) {
  unsigned char msg[8];  // the counter, big-endian (RFC 4226 §5.2)
  for (int i = 7; i >= 0; --i, counter >>= 8) msg[i] = static_cast<unsigned char>(counter & 0xff);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (HMAC(EVP_sha1(), secret.data(), static_cast<int>(secret.size()), msg, sizeof msg, mac, &mac_len) == nullptr ||
      mac_len < 20)
    return "";  // never equal to a code: MatchTotp then matches nothing
  // Dynamic truncation (RFC 4226 §5.3): 31 bits from the offset the last nibble names.
  const int offset = mac[mac_len - 1] & 0x0f;
  uint32_t bin = (static_cast<uint32_t>(mac[offset] & 0x7f) << 24) | (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                 (static_cast<uint32_t>(mac[offset + 2]) << 8) | static_cast<uint32_t>(mac[offset + 3]);
  uint32_t mod = 1;
  for (int i = 0; i < digits; ++i) mod *= 10;
  std::string code = std::to_string(bin % mod);
  return std::string(static_cast<size_t>(digits) - code.size(), '0') + code;
}

std::optional<int64_t> MatchTotp(std::string_view secret, std::string_view code, int64_t unix_seconds, int window) {
  if (code.size() != static_cast<size_t>(kTotpDigits)) return std::nullopt;
  for (char c : code)
    if (c < '0' || c > '9') return std::nullopt;
  const int64_t now = TotpStep(unix_seconds);
  std::optional<int64_t> found;
  // Every candidate is computed and compared: the time taken does not say which step matched.
  for (int64_t step = now - window; step <= now + window; ++step) {
    if (step < 0) continue;
    if (ConstantTimeEquals(HotpCode(secret, static_cast<uint64_t>(step)), code) && !found) found = step;
  }
  return found;
}

std::string Base32Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  return out;
}

namespace {
// RFC 3986 unreserved characters stay; everything else is %XX.
std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
        c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}
}  // namespace

std::string TotpUri(std::string_view issuer, std::string_view account, std::string_view secret) {
  const std::string iss = PercentEncode(issuer);
  return "otpauth://totp/" + iss + ":" + PercentEncode(account) + "?secret=" + Base32Encode(secret) + "&issuer=" + iss +
         "&algorithm=SHA1&digits=" + std::to_string(kTotpDigits) + "&period=" + std::to_string(kTotpStepSeconds);
}

}  // namespace deepgate::fcgi::auth
