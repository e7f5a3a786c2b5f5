// Credential masking: applied to every string before ANY log line or journal entry is
// written, so a key pasted into a path, a header echoed in an error, or a token in a query
// string never reaches a log. Masks: `dg_…` API keys, JWT-looking `eyJ….….` strings,
// `Bearer`/`Basic` credentials, and the values of credential query parameters (api_key,
// token, access_token, key, password, secret). Credential headers (Authorization, Cookie,
// X-Api-Key, …) are masked whole. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace deepgate::fcgi::audit {

inline constexpr const char* kMasked = "***";

std::string MaskSecrets(std::string_view text);
// `name` in any case ("Authorization", "x-api-key").
bool IsCredentialHeader(std::string_view name);
std::string MaskHeaderValue(std::string_view name, std::string_view value);
// A raw query string ("a=1&api_key=xyz") with credential parameter values masked.
std::string MaskQuery(std::string_view query);

}  // namespace deepgate::fcgi::audit
