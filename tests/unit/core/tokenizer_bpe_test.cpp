// Byte-level BPE tokenizer on hand-made vocabularies: merge order, loading errors, bad ids.
#include <gtest/gtest.h>

#include "core/tokenizer/tokenizer.h"
#include "tests/unit/tokenizer_test_vocabs.h"

namespace deepgate {
namespace {

using testing::TinyBpeVocab;
using Ids = std::vector<int32_t>;

std::unique_ptr<Tokenizer> Load(VocabSpec spec) {
  auto t = Tokenizer::FromVocab(std::move(spec));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(t).value() : nullptr;
}

TEST(TokenizerBpe, LowerRankMergesFirst) {
  auto t = Load(TinyBpeVocab({"ab", "bc"}, {"b c", "a b"}));
  EXPECT_EQ(t->Encode("abc", false, false), (Ids{'a', 257}));
  auto u = Load(TinyBpeVocab({"ab", "bc"}, {"a b", "b c"}));
  EXPECT_EQ(u->Encode("abc", false, false), (Ids{256, 'c'}));
}

TEST(TokenizerBpe, MergesChainToTheWholeWord) {
  auto t = Load(TinyBpeVocab({"he", "ll", "hell", "hello"}, {"h e", "l l", "he ll", "hell o"}));
  EXPECT_EQ(t->Encode("hello", false, false), (Ids{259}));
}

TEST(TokenizerBpe, SpaceIsByteLevelEncodedAndDecoded) {
  auto t = Load(TinyBpeVocab({"\xC4\xA0w"}, {"\xC4\xA0 w"}));  // "Ġw"
  EXPECT_EQ(t->Encode("a w", false, false), (Ids{'a', 256}));
  EXPECT_EQ(t->TokenToPiece(256), " w");
}

TEST(TokenizerBpe, Llama3EmitsAWordThatIsATokenWithoutMerging) {
  EXPECT_EQ(Load(TinyBpeVocab({"abc"}, {}, "llama3"))->Encode("abc", false, false), (Ids{256}));
  EXPECT_EQ(Load(TinyBpeVocab({"abc"}, {}, "gpt-2"))->Encode("abc", false, false), (Ids{'a', 'b', 'c'}));
}

TEST(TokenizerBpe, MergeNamingAnUnknownTokenFailsToLoad) {
  auto t = Tokenizer::FromVocab(TinyBpeVocab({}, {"x zz"}));
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

TEST(TokenizerBpe, MergeWithoutSeparatorFailsToLoad) {
  EXPECT_FALSE(Tokenizer::FromVocab(TinyBpeVocab({}, {"ab"})).ok());
}

TEST(TokenizerBpe, SpecialIdOutsideVocabularyFailsToLoad) {
  VocabSpec spec = TinyBpeVocab({}, {});
  spec.bos = 256;
  EXPECT_FALSE(Tokenizer::FromVocab(spec).ok());
  spec.bos = -1;
  EXPECT_FALSE(Tokenizer::FromVocab(spec).ok());
}

TEST(TokenizerBpe, ScoresOfTheWrongLengthFailToLoad) {
  VocabSpec spec = TinyBpeVocab({}, {});
  spec.scores = {1.0f};
  EXPECT_FALSE(Tokenizer::FromVocab(spec).ok());
}

TEST(TokenizerBpe, UnknownModelIsUnimplemented) {
  VocabSpec spec = TinyBpeVocab({}, {});
  spec.model = "t5";
  auto t = Tokenizer::FromVocab(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnimplemented);
}

// llama.cpp's test set has vocabularies (starcoder/refact, mpt, ...) whose pre-tokenizers a
// fallback to "default" splits differently: a name not implemented is refused, naming it.
TEST(TokenizerBpe, UnknownPreTokenizerIsRefused) {
  VocabSpec spec = TinyBpeVocab({}, {}, "chatglm-bpe");
  auto t = Tokenizer::FromVocab(spec);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(t.status().message().find("chatglm-bpe"), std::string::npos) << t.status().ToString();
  for (const char* known : {"starcoder", "refact", "mpt", "falcon", "deepseek-v3", "default"}) {
    EXPECT_TRUE(Tokenizer::FromVocab(TinyBpeVocab({}, {}, known)).ok()) << known;
  }
  spec.pre = "";  // no tokenizer.ggml.pre key: llama.cpp's default, as llama.cpp does
  EXPECT_TRUE(Tokenizer::FromVocab(spec).ok());
}

TEST(TokenizerBpe, BytesMissingFromTheVocabularyAreDropped) {
  VocabSpec spec;
  spec.model = "gpt2";
  spec.tokens = {"a", "b", "ab"};
  spec.merges = {"a b"};
  auto t = Load(spec);
  // "x", "y", "z" and 0xFF have no token: they are dropped, "ab" still merges.
  EXPECT_EQ(t->Encode("abxyz\xFF", false, false), (Ids{2}));
  EXPECT_EQ(t->Encode("xaybz", false, false), (Ids{0, 1}));
  EXPECT_EQ(t->Encode("ab", false, false), (Ids{2}));
}

TEST(TokenizerBpe, BadIdsGiveEmptyPieces) {
  auto t = Load(TinyBpeVocab({}, {}));
  EXPECT_EQ(t->TokenToPiece(-1), "");
  EXPECT_EQ(t->TokenToPiece(t->n_vocab()), "");
  EXPECT_EQ(t->TokenToPiece(1 << 30, true), "");
  EXPECT_FALSE(t->IsEndOfGeneration(-5));
  EXPECT_EQ(t->text(t->n_vocab()), "");
}

TEST(TokenizerBpe, InvalidUtf8InputIsEncodedAsReplacementCharacters) {
  auto t = Load(TinyBpeVocab({}, {}));
  // U+FFFD is EF BF BD; each invalid byte becomes one.
  EXPECT_EQ(t->Encode("\xFF", false, false), (Ids{0xEF, 0xBF, 0xBD}));
}

// ---- special tokens --------------------------------------------------------------------

struct SpecialVocab {
  std::unique_ptr<Tokenizer> t;
  int32_t im_end, think, bos;
};

SpecialVocab MakeSpecialVocab() {
  VocabSpec spec = TinyBpeVocab({"<|im_end|>", "<think>", "<|begin|>"}, {});
  spec.token_types[256] = 3;  // control
  spec.token_types[257] = 4;  // user-defined
  spec.token_types[258] = 3;
  spec.bos = 258;
  spec.add_bos = true;
  return {Load(spec), 256, 257, 258};
}

TEST(TokenizerSpecial, ControlTextIsOneTokenWhenParsingSpecial) {
  auto v = MakeSpecialVocab();
  EXPECT_EQ(v.t->Encode("x<|im_end|>y", false, true), (Ids{'x', v.im_end, 'y'}));
}

TEST(TokenizerSpecial, ControlTextIsPlainTextWithoutParsingSpecial) {
  auto v = MakeSpecialVocab();
  const Ids ids = v.t->Encode("x<|im_end|>", false, false);
  EXPECT_EQ(ids.size(), 11u);
  EXPECT_EQ(std::count(ids.begin(), ids.end(), v.im_end), 0);
}

TEST(TokenizerSpecial, UserDefinedTextIsAlwaysOneToken) {
  auto v = MakeSpecialVocab();
  EXPECT_EQ(v.t->Encode("<think>a", false, false), (Ids{v.think, 'a'}));
}

TEST(TokenizerSpecial, AddSpecialPrependsBos) {
  auto v = MakeSpecialVocab();
  EXPECT_EQ(v.t->Encode("a", true, true), (Ids{v.bos, 'a'}));
  EXPECT_EQ(v.t->Encode("", true, true), (Ids{v.bos}));
}

TEST(TokenizerSpecial, ControlPiecesRenderOnlyWhenAsked) {
  auto v = MakeSpecialVocab();
  EXPECT_EQ(v.t->TokenToPiece(v.im_end), "");
  EXPECT_EQ(v.t->TokenToPiece(v.im_end, true), "<|im_end|>");
  EXPECT_EQ(v.t->TokenToPiece(v.think), "<think>");
}

TEST(TokenizerSpecial, ChatEndTokensEndGeneration) {
  auto v = MakeSpecialVocab();
  EXPECT_TRUE(v.t->IsEndOfGeneration(v.im_end));
  EXPECT_EQ(v.t->eot(), v.im_end);
  EXPECT_FALSE(v.t->IsEndOfGeneration('a'));
  EXPECT_EQ(v.t->FindToken("<think>"), v.think);
  EXPECT_EQ(v.t->FindToken("<nope>"), std::nullopt);
}

}  // namespace
}  // namespace deepgate
