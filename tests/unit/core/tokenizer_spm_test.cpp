// SentencePiece tokenizer on a hand-made vocabulary: score order, byte fallback, specials,
// and the streaming decoder.
#include <gtest/gtest.h>

#include "core/tokenizer/tokenizer.h"
#include "tests/unit/tokenizer_test_vocabs.h"

namespace deepgate {
namespace {

using testing::TinySpmVocab;
using Ids = std::vector<int32_t>;

constexpr int32_t kBos = 1;
constexpr int32_t Byte(int b) { return 3 + b; }
constexpr int32_t kFirstPiece = 259;

std::unique_ptr<Tokenizer> Load(VocabSpec spec) {
  auto t = Tokenizer::FromVocab(std::move(spec));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

// "▁hi" 259, "▁" 260, "h" 261, "i" 262, "▁h" 263
std::unique_ptr<Tokenizer> HiVocab() {
  return Load(TinySpmVocab({{"\xE2\x96\x81hi", -1}, {"\xE2\x96\x81", -2}, {"h", -3}, {"i", -3},
                            {"\xE2\x96\x81h", -2.5f}}));
}

TEST(TokenizerSpm, DefaultsFollowLlama) {
  auto t = HiVocab();
  EXPECT_EQ(t->bos(), 1);
  EXPECT_EQ(t->eos(), 2);
  EXPECT_TRUE(t->add_bos());
  EXPECT_FALSE(t->add_eos());
  EXPECT_TRUE(t->IsEndOfGeneration(2));
}

TEST(TokenizerSpm, SpacePrefixAndEscapedSpaces) {
  auto t = HiVocab();
  EXPECT_EQ(t->Encode("hi", false, false), (Ids{kFirstPiece}));
  EXPECT_EQ(t->Encode("hi hi", false, false), (Ids{kFirstPiece, kFirstPiece}));
}

TEST(TokenizerSpm, AddSpecialPrependsBos) {
  auto t = HiVocab();
  EXPECT_EQ(t->Encode("hi", true, false), (Ids{kBos, kFirstPiece}));
  EXPECT_EQ(t->Encode("", false, false), Ids{});
}

TEST(TokenizerSpm, HigherScoreMergesFirst) {
  VocabSpec spec = TinySpmVocab({{"a", -5}, {"b", -5}, {"c", -5}, {"ab", -1}, {"bc", -0.5f}});
  spec.add_space_prefix = false;
  EXPECT_EQ(Load(spec)->Encode("abc", false, false), (Ids{kFirstPiece, kFirstPiece + 4}));
}

TEST(TokenizerSpm, UnknownCharactersFallBackToBytes) {
  VocabSpec spec = TinySpmVocab({});
  spec.add_space_prefix = false;
  EXPECT_EQ(Load(spec)->Encode("\xC3\xA9", false, false), (Ids{Byte(0xC3), Byte(0xA9)}));
}

TEST(TokenizerSpm, ParseSpecialMatchesControlTextAndPrefixesTheRest) {
  auto t = HiVocab();
  EXPECT_EQ(t->Encode("<s>hi", false, true), (Ids{kBos, kFirstPiece}));
  const Ids plain = t->Encode("<s>hi", false, false);
  EXPECT_EQ(std::count(plain.begin(), plain.end(), kBos), 0);
}

TEST(TokenizerSpm, PiecesDecodeToBytesAndSpaces) {
  auto t = HiVocab();
  EXPECT_EQ(t->TokenToPiece(kFirstPiece), " hi");
  EXPECT_EQ(t->TokenToPiece(Byte('A')), "A");
  EXPECT_EQ(t->TokenToPiece(kBos), "");
  EXPECT_EQ(t->TokenToPiece(kBos, true), "<s>");
  EXPECT_EQ(t->Decode({kFirstPiece, kFirstPiece}), " hi hi");
}

TEST(TokenizerStream, HoldsAnEmojiUntilAllItsBytesArrive) {
  auto t = HiVocab();
  StreamDecoder d(*t);
  EXPECT_EQ(d.Push(Byte(0xF0)), "");
  EXPECT_EQ(d.Push(Byte(0x9F)), "");
  EXPECT_EQ(d.Push(Byte(0x98)), "");
  EXPECT_EQ(d.Push(Byte(0x80)), "\xF0\x9F\x98\x80");
  EXPECT_EQ(d.Flush(), "");
}

TEST(TokenizerStream, EmitsCompleteTextAroundAHeldCharacter) {
  auto t = HiVocab();
  StreamDecoder d(*t);
  EXPECT_EQ(d.Push(kFirstPiece), " hi");
  EXPECT_EQ(d.Push(Byte(0xC3)), "");
  EXPECT_EQ(d.Push(Byte(0xA9)), "\xC3\xA9");
}

TEST(TokenizerStream, FlushReplacesAnIncompleteCharacter) {
  auto t = HiVocab();
  StreamDecoder d(*t);
  EXPECT_EQ(d.Push(Byte(0xE4)), "");
  EXPECT_EQ(d.Flush(), "\xEF\xBF\xBD");
}

TEST(TokenizerStream, ImpossibleBytesBecomeReplacementCharactersAtOnce) {
  auto t = HiVocab();
  StreamDecoder d(*t);
  EXPECT_EQ(d.Push(Byte(0x80)), "\xEF\xBF\xBD");
  EXPECT_EQ(d.Push(Byte(0xF0)), "");
  EXPECT_EQ(d.Push(Byte('A')), "\xEF\xBF\xBD" "A");
}

TEST(TokenizerStream, BadIdsAddNothing) {
  auto t = HiVocab();
  StreamDecoder d(*t);
  EXPECT_EQ(d.Push(-1), "");
  EXPECT_EQ(d.Push(t->n_vocab()), "");
}

}  // namespace
}  // namespace deepgate
