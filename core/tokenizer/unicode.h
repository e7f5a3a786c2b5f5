// Unicode helpers for the tokenizers: UTF-8 decoding/encoding and code point classes.
//
// Categories are the Unicode general-category groups (\p{L}, \p{N}, ...) from generated range
// tables (scripts/gen_unicode_tables.py); whitespace is the Unicode White_Space property.
// Thread-safety: pure functions over constant tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace deepgate {

enum class UnicodeCategory : uint8_t {
  kControl = 0,      // Cc, Cf, Co, Cs
  kLetter = 1,       // L*
  kNumber = 2,       // N*
  kMark = 3,         // M*
  kPunctuation = 4,  // P*
  kSymbol = 5,       // S*
  kSeparator = 6,    // Z*
  kUndefined = 7,    // Cn (unassigned)
};

constexpr char32_t kReplacementChar = 0xFFFD;

UnicodeCategory CategoryOf(char32_t cp);
bool IsUnicodeWhitespace(char32_t cp);  // White_Space: \t..\r, space, U+0085, U+00A0, ...
inline bool IsLetter(char32_t cp) { return CategoryOf(cp) == UnicodeCategory::kLetter; }
inline bool IsNumber(char32_t cp) { return CategoryOf(cp) == UnicodeCategory::kNumber; }

// Length of the valid UTF-8 sequence starting at s[pos], or 0 when it is invalid (bad lead,
// truncated, bad continuation, overlong, surrogate or > U+10FFFF).
size_t ValidUtf8Length(std::string_view s, size_t pos);
// True when the whole string is valid UTF-8.
bool IsValidUtf8(std::string_view s);
// Decodes UTF-8; each byte of an invalid sequence becomes U+FFFD (as llama.cpp does).
std::u32string DecodeUtf8Lossy(std::string_view s);
// Re-encodes s with every invalid byte replaced by U+FFFD.
std::string SanitizeUtf8(std::string_view s);
void AppendUtf8(char32_t cp, std::string* out);
std::string EncodeUtf8(std::u32string_view cps);

namespace unicode_internal {
struct CategoryRange {
  uint32_t start;
  uint8_t category;  // UnicodeCategory
};
extern const CategoryRange kCategoryRanges[];
extern const size_t kCategoryRangeCount;
}  // namespace unicode_internal

}  // namespace deepgate
