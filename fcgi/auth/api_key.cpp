#include "fcgi/auth/api_key.h"

#include "fcgi/auth/crypto.h"

namespace deepgate::fcgi::auth {

bool IsValidKeyId(std::string_view id) {
  if (id.size() != kKeyIdChars) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool LooksLikeApiKey(std::string_view token) { return token.substr(0, kApiKeyPrefix.size()) == kApiKeyPrefix; }

std::optional<ParsedApiKey> ParseApiKey(std::string_view token) {
  if (token.size() != kApiKeyPrefix.size() + kKeyIdChars + 1 + kKeySecretChars) return std::nullopt;
  if (!LooksLikeApiKey(token)) return std::nullopt;
  const std::string_view id = token.substr(kApiKeyPrefix.size(), kKeyIdChars);
  if (!IsValidKeyId(id) || token[kApiKeyPrefix.size() + kKeyIdChars] != '_') return std::nullopt;
  const std::string_view secret = token.substr(kApiKeyPrefix.size() + kKeyIdChars + 1);
  if (!Base64UrlDecode(secret)) return std::nullopt;
  return ParsedApiKey{std::string(id)};
}

Result<GeneratedApiKey> GenerateApiKey(std::string_view master_secret, int64_t now) {
  DG_ASSIGN_OR_RETURN(std::string id_bytes, RandomBytes(kKeyIdChars / 2));
  DG_ASSIGN_OR_RETURN(std::string salt, RandomBytes(16));
  const std::string material = std::to_string(now) + ":" + HexEncode(salt);
  GeneratedApiKey key;
  key.id = HexEncode(id_bytes);
  key.plaintext = std::string(kApiKeyPrefix) + key.id + "_" + Base64UrlEncode(HmacSha256(master_secret, material));
  return key;
}

std::string HashApiKey(std::string_view pepper, std::string_view plaintext) { return HmacSha256(pepper, plaintext); }

}  // namespace deepgate::fcgi::auth
