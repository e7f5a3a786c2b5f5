// Unicode classes and UTF-8 coding used by the tokenizers.
#include <gtest/gtest.h>

#include "core/tokenizer/unicode.h"

namespace deepgate {
namespace {

TEST(TokenizerUnicode, CategoriesMatchUnicodeGroups) {
  EXPECT_EQ(CategoryOf(U'A'), UnicodeCategory::kLetter);
  EXPECT_EQ(CategoryOf(U'世'), UnicodeCategory::kLetter);
  EXPECT_EQ(CategoryOf(U'5'), UnicodeCategory::kNumber);
  EXPECT_EQ(CategoryOf(U'²'), UnicodeCategory::kNumber);
  EXPECT_EQ(CategoryOf(0x0301), UnicodeCategory::kMark);
  EXPECT_EQ(CategoryOf(U'!'), UnicodeCategory::kPunctuation);
  EXPECT_EQ(CategoryOf(U'$'), UnicodeCategory::kSymbol);
  EXPECT_EQ(CategoryOf(0x1F600), UnicodeCategory::kSymbol);
  EXPECT_EQ(CategoryOf(0x3000), UnicodeCategory::kSeparator);
  EXPECT_EQ(CategoryOf(0x0378), UnicodeCategory::kUndefined);
  EXPECT_EQ(CategoryOf(0x110000), UnicodeCategory::kUndefined);
}

TEST(TokenizerUnicode, WhitespaceIsTheWhiteSpaceProperty) {
  for (char32_t c : {0x09, 0x0A, 0x0D, 0x20, 0x85, 0xA0, 0x2003, 0x3000}) EXPECT_TRUE(IsUnicodeWhitespace(c)) << static_cast<uint32_t>(c);
  for (char32_t c : {0x1C, 0x200B, 0x41, 0x5F}) EXPECT_FALSE(IsUnicodeWhitespace(c)) << static_cast<uint32_t>(c);
}

TEST(TokenizerUnicode, RejectsMalformedUtf8) {
  EXPECT_TRUE(IsValidUtf8("h\xC3\xA9llo \xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xF4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\x80"));              // lone continuation
}

TEST(TokenizerUnicode, LossyDecodeReplacesEachBadByte) {
  EXPECT_EQ(DecodeUtf8Lossy("a\xFF\xFE" "b"), (std::u32string{U'a', 0xFFFD, 0xFFFD, U'b'}));
  EXPECT_EQ(SanitizeUtf8("a\x80"), "a\xEF\xBF\xBD");
}

TEST(TokenizerUnicode, EncodeRoundTrips) {
  const std::string s = "x\xC3\xA9\xE4\xB8\x96\xF0\x9F\x98\x80";
  EXPECT_EQ(EncodeUtf8(DecodeUtf8Lossy(s)), s);
}

}  // namespace
}  // namespace deepgate
