// JSON in and out of HTTP bodies: the only place the worker's request path calls jsoncpp's
// reader and writer. Parse errors (and jsoncpp exceptions) become a Status whose message is
// precise enough to show the client. Thread-safety: stateless functions.
#pragma once

#include <json/value.h>

#include <string>
#include <string_view>

#include "core/status.h"

namespace deepgate::fcgi {

// Nesting deeper than this is rejected (bounds the parser's recursion on hostile input).
inline constexpr int kMaxJsonDepth = 64;

// Parses a request body that must be one JSON object, in valid UTF-8, with no duplicate keys.
// InvalidArgument with a message such as "Request body is not valid JSON: ..." otherwise.
[[nodiscard]] Result<Json::Value> ParseJsonObject(std::string_view body);

// Compact JSON, UTF-8 emitted as is (not \u-escaped).
std::string WriteJson(const Json::Value& value);

// Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or npos when all of `s` is valid.
size_t FindInvalidUtf8(std::string_view s);

}  // namespace deepgate::fcgi
