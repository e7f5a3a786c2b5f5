#include "fcgi/audit/credential_mask.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace deepgate::fcgi::audit {
namespace {

bool TokenChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }
bool Base64UrlChar(char c) { return TokenChar(c) || c == '+' || c == '/' || c == '='; }

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool IsCredentialParam(std::string_view name) {
  static const std::array<std::string_view, 7> names = {"api_key", "apikey", "token", "access_token", "key",
                                                         "password", "secret"};
  const std::string n = Lower(name);
  return std::find(names.begin(), names.end(), n) != names.end();
}

bool StartsWithNoCase(std::string_view text, size_t at, std::string_view word) {
  if (text.size() - at < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(text[at + i])) != word[i]) return false;
  return true;
}

// Length of a JWT-looking run at `at` ("eyJ" header . payload [. signature]), 0 if none.
size_t JwtLength(std::string_view t, size_t at) {
  if (t.compare(at, 3, "eyJ") != 0) return 0;
  size_t i = at, dots = 0;
  while (i < t.size() && (TokenChar(t[i]) || (t[i] == '.' && dots < 2))) {
    if (t[i] == '.') ++dots;
    ++i;
  }
  return dots >= 1 ? i - at : 0;
}

// Length of "Bearer " / "Basic " (and spaces after it) at `at`, 0 if neither.
size_t SchemeCredentialStart(std::string_view t, size_t at) {
  for (std::string_view scheme : {std::string_view("bearer "), std::string_view("basic ")}) {
    if (!StartsWithNoCase(t, at, scheme)) continue;
    size_t j = at + scheme.size();
    while (j < t.size() && t[j] == ' ') ++j;
    return j - at;
  }
  return 0;
}

}  // namespace

std::string MaskSecrets(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  size_t i = 0;
  while (i < t.size()) {
    const bool word_start = i == 0 || !TokenChar(t[i - 1]);
    // dg_ API keys: the prefix stays so a reader sees what kind of secret was there.
    if (word_start && t.compare(i, 3, "dg_") == 0) {
      size_t j = i + 3;
      while (j < t.size() && TokenChar(t[j])) ++j;
      if (j - i >= 3 + 8) {
        out += "dg_";
        out += kMasked;
        i = j;
        continue;
      }
    }
    if (word_start) {
      if (const size_t n = JwtLength(t, i); n > 0) {
        out += "eyJ";
        out += kMasked;
        i += n;
        continue;
      }
    }
    // "Bearer x" / "Basic x": whatever credential follows.
    if (word_start) {
      if (const size_t n = SchemeCredentialStart(t, i); n > 0) {
        size_t k = i + n;
        while (k < t.size() && (Base64UrlChar(t[k]) || t[k] == '.' || t[k] == '~')) ++k;
        if (k > i + n) {
          out.append(t.substr(i, n));
          out += kMasked;
          i = k;
          continue;
        }
      }
    }
    // name=value where name is a credential parameter (query strings, form bodies, messages).
    if (t[i] == '=' && i > 0) {
      size_t b = i;
      while (b > 0 && TokenChar(t[b - 1])) --b;
      if (b < i && IsCredentialParam(t.substr(b, i - b))) {
        size_t k = i + 1;
        while (k < t.size() && t[k] != '&' && t[k] != ' ' && t[k] != ';' && t[k] != '"' && t[k] != ',') ++k;
        out += '=';
        if (k > i + 1) out += kMasked;
        i = k;
        continue;
      }
    }
    out += t[i++];
  }
  return out;
}

bool IsCredentialHeader(std::string_view name) {
  static const std::array<std::string_view, 7> names = {"authorization", "proxy-authorization", "cookie",
                                                         "set-cookie",    "x-api-key",           "api-key",
                                                         "x-auth-token"};
  std::string n = Lower(name);
  std::replace(n.begin(), n.end(), '_', '-');  // HTTP_X_API_KEY as FastCGI spells it
  if (n.rfind("http-", 0) == 0) n = n.substr(5);
  return std::find(names.begin(), names.end(), n) != names.end();
}

std::string MaskHeaderValue(std::string_view name, std::string_view value) {
  return IsCredentialHeader(name) ? std::string(kMasked) : MaskSecrets(value);
}

std::string MaskQuery(std::string_view query) { return MaskSecrets(query); }

}  // namespace deepgate::fcgi::audit
