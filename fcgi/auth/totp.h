// TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA1, as authenticator apps implement it:
// 30 s steps counted from the Unix epoch, 6 digits. Plus the pieces enrolment needs: base32
// (RFC 4648 §6, unpadded, as otpauth:// URIs carry it) and the otpauth:// URI itself.
// Thread-safety: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace deepgate::fcgi::auth {

inline constexpr int64_t kTotpStepSeconds = 30;
inline constexpr int kTotpDigits = 6;
inline constexpr size_t kTotpSecretBytes = 20;  // 160 bits, RFC 4226's recommended length

// The step a Unix time falls in: floor(unix / 30).
int64_t TotpStep(int64_t unix_seconds);

// HOTP(secret, counter) truncated to `digits` (1..9) decimal digits, zero-padded ("004242");
// "" if HMAC fails.
std::string HotpCode(std::string_view secret, uint64_t counter, int digits = kTotpDigits);

// The step (within ±window of now's) whose code equals `code`, or nullopt. Every candidate is
// compared in constant time; a code of the wrong shape (not `kTotpDigits` digits) never matches.
std::optional<int64_t> MatchTotp(std::string_view secret, std::string_view code, int64_t unix_seconds, int window = 1);

std::string Base32Encode(std::string_view bytes);  // A-Z2-7, no '=' padding

// otpauth://totp/ISSUER:ACCOUNT?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
// (issuer and account percent-encoded).
std::string TotpUri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace deepgate::fcgi::auth
