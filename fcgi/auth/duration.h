// Durations as operators type them: "90d", "14d", "12h", "30m", "45s" (a bare number is
// seconds). Used by the CLI flags and the admin API. Thread-safety: stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace deepgate::fcgi::auth {

// Seconds, or nullopt for anything else (negative, overflow past ~100 years, unknown unit).
std::optional<int64_t> ParseDuration(const std::string& text);

}  // namespace deepgate::fcgi::auth
