// UTF-8 coding and code point classes; see unicode.h.
#include "core/tokenizer/unicode.h"

#include <algorithm>

namespace deepgate {

UnicodeCategory CategoryOf(char32_t cp) {
  using unicode_internal::kCategoryRangeCount;
  using unicode_internal::kCategoryRanges;
  if (cp > 0x10FFFF) return UnicodeCategory::kUndefined;
  const auto* begin = kCategoryRanges;
  const auto* end = kCategoryRanges + kCategoryRangeCount;
  // The last range whose start is <= cp.
  const auto* it = std::upper_bound(begin, end, static_cast<uint32_t>(cp),
                                    [](uint32_t v, const unicode_internal::CategoryRange& r) {
                                      return v < r.start;
                                    });
  if (it == begin) return UnicodeCategory::kUndefined;
  return static_cast<UnicodeCategory>((it - 1)->category);
}

bool IsUnicodeWhitespace(char32_t cp) {
  if (cp >= 0x09 && cp <= 0x0D) return true;
  if (cp == 0x20) return true;
  if (cp < 0x85) return false;
  if (cp >= 0x2000 && cp <= 0x200A) return true;
  switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F:
    case 0x3000:
      return true;
    default:
      return false;
  }
}

size_t ValidUtf8Length(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[pos + i]); };
  const uint8_t lead = b(0);
  if (lead < 0x80) return 1;
  size_t n;
  char32_t cp;
  if ((lead & 0xE0) == 0xC0) { n = 2; cp = lead & 0x1F; }
  else if ((lead & 0xF0) == 0xE0) { n = 3; cp = lead & 0x0F; }
  else if ((lead & 0xF8) == 0xF0) { n = 4; cp = lead & 0x07; }
  else return 0;
  if (pos + n > s.size()) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  static constexpr char32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMinForLength[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    const size_t n = ValidUtf8Length(s, pos);
    if (n == 0) return false;
    pos += n;
  }
  return true;
}

std::u32string DecodeUtf8Lossy(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) {
    const size_t n = ValidUtf8Length(s, pos);
    if (n == 0) {
      out.push_back(kReplacementChar);
      ++pos;
      continue;
    }
    const auto b = [&](size_t i) { return static_cast<uint8_t>(s[pos + i]); };
    char32_t cp;
    switch (n) {
      case 1: cp = b(0); break;
      case 2: cp = ((b(0) & 0x1F) << 6) | (b(1) & 0x3F); break;
      case 3: cp = ((b(0) & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F); break;
      default:
        cp = ((b(0) & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F);
        break;
    }
    out.push_back(cp);
    pos += n;
  }
  return out;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = kReplacementChar;
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string EncodeUtf8(std::u32string_view cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t cp : cps) AppendUtf8(cp, &out);
  return out;
}

std::string SanitizeUtf8(std::string_view s) {
  if (IsValidUtf8(s)) return std::string(s);
  return EncodeUtf8(DecodeUtf8Lossy(s));
}

}  // namespace deepgate
