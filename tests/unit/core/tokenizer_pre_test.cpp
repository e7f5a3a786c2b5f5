// Pre-tokenizer splits, checked against what llama.cpp's regex lists produce.
#include <gtest/gtest.h>

#include "core/tokenizer/pre_tokenizer.h"

namespace deepgate {
namespace {

using Words = std::vector<std::string>;

Words Split(PreTokenizerKind kind, const std::string& text) { return PreTokenizeToStrings(kind, text); }

TEST(TokenizerPre, NamesMapToKinds) {
  EXPECT_EQ(PreTokenizerFromName("qwen2"), PreTokenizerKind::kQwen2);
  EXPECT_EQ(PreTokenizerFromName("deepseek-r1-qwen"), PreTokenizerKind::kQwen2);
  EXPECT_EQ(PreTokenizerFromName("llama-bpe"), PreTokenizerKind::kLlama3);
  EXPECT_EQ(PreTokenizerFromName("deepseek-v3"), PreTokenizerKind::kDeepseekV3);
  EXPECT_EQ(PreTokenizerFromName("no-such-pre"), std::nullopt);
  EXPECT_EQ(PreTokenizerFromName("starcoder"), PreTokenizerKind::kStarcoder);
  EXPECT_EQ(PreTokenizerFromName("refact"), PreTokenizerKind::kStarcoder);
  EXPECT_EQ(PreTokenizerFromName("mpt"), PreTokenizerKind::kGpt2);
  EXPECT_EQ(PreTokenizerFromName("falcon"), PreTokenizerKind::kFalcon);
  EXPECT_EQ(PreTokenizerFromName("chatglm-bpe"), std::nullopt);
}

// starcoder/refact: "\p{N}" first (every digit its own word), then the gpt-2 regex.
TEST(TokenizerPre, StarcoderSplitsEveryDigit) {
  EXPECT_EQ(Split(PreTokenizerKind::kStarcoder, "abc 12345"), (Words{"abc", " ", "1", "2", "3", "4", "5"}));
  EXPECT_EQ(Split(PreTokenizerKind::kStarcoder, "I'm x2"), (Words{"I", "'m", " x", "2"}));
}

// falcon: punctuation runs (with $+<=>^~|`) first, the gpt-2 regex, then ASCII digit triples.
TEST(TokenizerPre, FalconSplitsPunctuationThenDigitTriples) {
  EXPECT_EQ(Split(PreTokenizerKind::kFalcon, "a`b 1234"), (Words{"a", "`", "b", " ", "123", "4"}));
}

TEST(TokenizerPre, Gpt2KeepsOneSpaceForTheNextWord) {
  EXPECT_EQ(Split(PreTokenizerKind::kGpt2, "I'm  fine!!\n"), (Words{"I", "'m", " ", " fine", "!!", "\n"}));
}

TEST(TokenizerPre, Gpt2ContractionsAreCaseSensitive) {
  EXPECT_EQ(Split(PreTokenizerKind::kGpt2, "I'M"), (Words{"I", "'", "M"}));
}

TEST(TokenizerPre, Gpt2KeepsDigitRunsWhole) {
  EXPECT_EQ(Split(PreTokenizerKind::kGpt2, "abc 12345"), (Words{"abc", " 12345"}));
}

TEST(TokenizerPre, Llama3SplitsDigitsInThrees) {
  EXPECT_EQ(Split(PreTokenizerKind::kLlama3, "12345"), (Words{"123", "45"}));
}

TEST(TokenizerPre, Llama3ContractionsIgnoreCase) {
  EXPECT_EQ(Split(PreTokenizerKind::kLlama3, "I'M"), (Words{"I", "'M"}));
}

TEST(TokenizerPre, Llama3GroupsNewlinesAndLeadingSpace) {
  EXPECT_EQ(Split(PreTokenizerKind::kLlama3, "Hello\n\nworld"), (Words{"Hello", "\n\n", "world"}));
  EXPECT_EQ(Split(PreTokenizerKind::kLlama3, "  hi"), (Words{" ", " hi"}));
}

TEST(TokenizerPre, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(Split(PreTokenizerKind::kQwen2, "x=12;"), (Words{"x", "=", "1", "2", ";"}));
}

TEST(TokenizerPre, Qwen2PunctuationTakesTrailingNewlines) {
  EXPECT_EQ(Split(PreTokenizerKind::kQwen2, "end.\n\nNext"), (Words{"end", ".\n\n", "Next"}));
}

TEST(TokenizerPre, DeepseekLlmSeparatesCjkDigitsAndPunctuation) {
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekLlm, "Hello, \xE4\xB8\x96\xE7\x95\x8C" "123\n"),
            (Words{"Hello", ",", " ", "\xE4\xB8\x96\xE7\x95\x8C", "123", "\n"}));
}

TEST(TokenizerPre, DeepseekLlmSplitsEachNewline) {
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekLlm, "a\n\nb"), (Words{"a", "\n", "\n", "b"}));
}

TEST(TokenizerPre, DeepseekCoderSplitsSingleDigits) {
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekCoder, "foo123 bar"), (Words{"foo", "1", "2", "3", " bar"}));
}

TEST(TokenizerPre, DeepseekV3GroupsDigitsInThreesAndIsolatesCjk) {
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekV3, "Hello 1234567 \xE4\xB8\x96\xE7\x95\x8C!"),
            (Words{"Hello", " ", "123", "456", "7", " ", "\xE4\xB8\x96\xE7\x95\x8C", "!"}));
}

TEST(TokenizerPre, DeepseekV3JoinsAsciiPunctuationWithFollowingLetters) {
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekV3, "a.b+c"), (Words{"a", ".b", "+c"}));
}

TEST(TokenizerPre, DeepseekV3SpaceBeforePunctuationJoinsThePunctuation) {
  // At the space, " ?[\p{P}\p{S}]+" matches before "[punct][A-Za-z]+" can start at '.'.
  EXPECT_EQ(Split(PreTokenizerKind::kDeepseekV3, "a .Net"), (Words{"a", " .", "Net"}));
}

TEST(TokenizerPre, DefaultIsolatesPunctuationAndGroupsDigitsByThree) {
  EXPECT_EQ(Split(PreTokenizerKind::kDefault, "a+b=100000"), (Words{"a", "+", "b", "=", "100", "000"}));
}

TEST(TokenizerPre, EveryKindCoversTheWholeText) {
  const std::string text = "  Héllo,\tWörld!! 12345 \xF0\x9F\x98\x80 \xE4\xB8\x96 \r\n  x'S  ";
  for (auto kind : {PreTokenizerKind::kDefault, PreTokenizerKind::kGpt2, PreTokenizerKind::kLlama3,
                    PreTokenizerKind::kQwen2, PreTokenizerKind::kDeepseekLlm,
                    PreTokenizerKind::kDeepseekCoder, PreTokenizerKind::kDeepseekV3}) {
    std::string joined;
    for (const auto& w : Split(kind, text)) {
      EXPECT_FALSE(w.empty()) << PreTokenizerName(kind);
      joined += w;
    }
    EXPECT_EQ(joined, text) << PreTokenizerName(kind);
  }
}

TEST(TokenizerPre, EmptyTextHasNoWords) {
  EXPECT_TRUE(Split(PreTokenizerKind::kQwen2, "").empty());
}

}  // namespace
}  // namespace deepgate
