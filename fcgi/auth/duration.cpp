#include "fcgi/auth/duration.h"

namespace deepgate::fcgi::auth {

std::optional<int64_t> ParseDuration(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  size_t i = 0;
  int64_t n = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) n = n * 10 + (text[i] - '0');
  if (i == 0) return std::nullopt;
  int64_t unit = 1;
  if (i < text.size()) {
    if (i + 1 != text.size()) return std::nullopt;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return std::nullopt;
    }
  }
  const int64_t seconds = n * unit;
  if (seconds > int64_t{100} * 366 * 86400) return std::nullopt;
  return seconds;
}

}  // namespace deepgate::fcgi::auth
