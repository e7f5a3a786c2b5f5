#include "core/gguf.h"

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "tests/unit/gguf_bytes.h"
#include "tests/unit/test_support.h"

namespace deepgate {
namespace {

using testing::GgufBytes;
using testing::SmallValidGguf;

Result<GgufFile> Parse(const std::vector<uint8_t>& b) { return GgufFile::FromMemory(b.data(), b.size()); }

TEST(Gguf, ReadsMetadataOfEveryKindAndTensorData) {
  auto bytes = SmallValidGguf();
  auto f = Parse(bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(*f->GetString("general.architecture"), "llama");
  EXPECT_EQ(*f->GetUint("llama.block_count"), 2u);
  EXPECT_FLOAT_EQ(static_cast<float>(*f->GetFloat("llama.rope.freq_base")), 10000.0f);
  auto tokens = f->GetStringArray("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(*tokens, (std::vector<std::string_view>{"a", "bc", "<s>"}));
  auto scores = f->GetFloatArray("tokenizer.ggml.scores");
  ASSERT_TRUE(scores.ok());
  EXPECT_EQ(*scores, (std::vector<float>{0.5f, -1.0f, 2.0f}));
  ASSERT_EQ(f->tensors().size(), 2u);
  const GgufTensor* b = f->FindTensor("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->nbytes, 32u);
  float first;
  std::memcpy(&first, b->data, 4);
  EXPECT_EQ(first, 100.0f);
  EXPECT_EQ(f->FindTensor("a")->ShapeString(), "[4, 2]");
}

TEST(Gguf, TypedGettersReportMissingAndWrongTypes) {
  auto bytes = SmallValidGguf();
  auto f = Parse(bytes);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->GetString("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(f->GetString("llama.block_count").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f->GetUint("general.architecture").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(f->GetStringArray("tokenizer.ggml.scores").status().code(), StatusCode::kInvalidArgument);
}

TEST(Gguf, EveryTruncationIsACleanError) {
  auto bytes = SmallValidGguf();
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + n);
    auto f = Parse(cut);
    EXPECT_FALSE(f.ok()) << "prefix of " << n << " bytes parsed";
  }
}

TEST(Gguf, RandomCorruptionNeverCrashes) {
  auto bytes = SmallValidGguf();
  std::mt19937 rng(42);
  for (int iter = 0; iter < 20000; ++iter) {
    auto m = bytes;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) m[rng() % m.size()] = static_cast<uint8_t>(rng());
    auto f = Parse(m);
    if (f.ok()) {  // whatever parsed must be internally consistent
      for (const auto& t : f->tensors()) {
        EXPECT_GE(t.data, m.data());
        EXPECT_LE(t.data + t.nbytes, m.data() + m.size());
      }
    }
  }
}

TEST(Gguf, RejectsBadMagicVersionAndEndianness) {
  GgufBytes b;
  b.U32(0x12345678).U32(3).U64(0).U64(0);
  EXPECT_EQ(Parse(b.bytes).status().code(), StatusCode::kInvalidArgument);
  GgufBytes v1;
  v1.Header(1, 0, 0);
  EXPECT_EQ(Parse(v1.bytes).status().code(), StatusCode::kUnimplemented);
  GgufBytes big;
  big.Header(0x03000000u, 0, 0);
  EXPECT_NE(Parse(big.bytes).status().message().find("big-endian"), std::string::npos);
  GgufBytes v9;
  v9.Header(9, 0, 0);
  EXPECT_FALSE(Parse(v9.bytes).ok());
}

TEST(Gguf, AcceptsVersion2) {
  GgufBytes b;
  b.Header(2, 0, 1);
  b.Key("general.architecture", 8).Str("qwen2");
  auto f = Parse(b.bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->version(), 2u);
}

TEST(Gguf, RejectsAbsurdCounts) {
  GgufBytes many_tensors;
  many_tensors.Header(3, 1ull << 40, 0);
  EXPECT_NE(Parse(many_tensors.bytes).status().message().find("exceeds limit"), std::string::npos);
  GgufBytes many_kv;
  many_kv.Header(3, 0, 1ull << 62);
  EXPECT_FALSE(Parse(many_kv.bytes).ok());
  GgufBytes kv_more_than_file;  // plausible count, but the file cannot hold them
  kv_more_than_file.Header(3, 0, 1000);
  EXPECT_NE(Parse(kv_more_than_file.bytes).status().message().find("truncated"), std::string::npos);
  GgufBytes long_string;
  long_string.Header(3, 0, 1).Key("k", 8).U64(1ull << 60);
  EXPECT_FALSE(Parse(long_string.bytes).ok());
  GgufBytes long_array;
  long_array.Header(3, 0, 1).Key("k", 9).U32(8).U64(1ull << 40);
  EXPECT_FALSE(Parse(long_array.bytes).ok());
  GgufBytes array_fits_limit_not_file;
  array_fits_limit_not_file.Header(3, 0, 1).Key("k", 9).U32(8).U64(1000000);
  EXPECT_FALSE(Parse(array_fits_limit_not_file.bytes).ok());
}

TEST(Gguf, RejectsUnknownValueAndTensorTypes) {
  GgufBytes bad_value;
  bad_value.Header(3, 0, 1).Key("k", 77).U32(0);
  EXPECT_NE(Parse(bad_value.bytes).status().message().find("unknown value type"), std::string::npos);
  GgufBytes bad_tensor;
  bad_tensor.Header(3, 1, 0).TensorInfo("t", {32}, 999, 0).PadTo(32).Zeros(128);
  auto f = Parse(bad_tensor.bytes);
  EXPECT_EQ(f.status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(f.status().message().find("unknown tensor type 999"), std::string::npos);
}

TEST(Gguf, RejectsTensorsOutsideTheFileOrOverlapping) {
  GgufBytes past_end;
  past_end.Header(3, 1, 0).TensorInfo("t", {16}, 0, 0).PadTo(32).Zeros(32);  // needs 64 bytes
  EXPECT_NE(Parse(past_end.bytes).status().message().find("past the end"), std::string::npos);
  GgufBytes overlap;
  overlap.Header(3, 2, 0).TensorInfo("a", {16}, 0, 0).TensorInfo("b", {16}, 0, 32).PadTo(32).Zeros(128);
  EXPECT_NE(Parse(overlap.bytes).status().message().find("overlap"), std::string::npos);
  GgufBytes huge_offset;
  huge_offset.Header(3, 1, 0).TensorInfo("t", {8}, 0, ~0ull & ~31ull).PadTo(32).Zeros(32);
  EXPECT_FALSE(Parse(huge_offset.bytes).ok());
}

TEST(Gguf, RejectsMisalignedOffsetsAndBadAlignment) {
  GgufBytes misaligned;
  misaligned.Header(3, 1, 0).TensorInfo("t", {8}, 0, 4).PadTo(32).Zeros(64);
  EXPECT_NE(Parse(misaligned.bytes).status().message().find("not aligned"), std::string::npos);
  GgufBytes not_pow2;
  not_pow2.Header(3, 0, 1).Key("general.alignment", 4).U32(48);
  EXPECT_FALSE(Parse(not_pow2.bytes).ok());
  GgufBytes zero;
  zero.Header(3, 0, 1).Key("general.alignment", 4).U32(0);
  EXPECT_FALSE(Parse(zero.bytes).ok());
  GgufBytes wrong_type;
  wrong_type.Header(3, 0, 1).Key("general.alignment", 10).U64(32);
  EXPECT_FALSE(Parse(wrong_type.bytes).ok());
}

TEST(Gguf, HonoursACustomAlignment) {
  GgufBytes b;
  b.Header(3, 1, 1).Key("general.alignment", 4).U32(64).TensorInfo("t", {4}, 0, 0).PadTo(64);
  b.F32(1).F32(2).F32(3).F32(4);
  auto f = Parse(b.bytes);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
}

TEST(Gguf, RejectsBadShapesAndBlockMismatch) {
  GgufBytes zero_dims;
  zero_dims.Header(3, 1, 0).TensorInfo("t", {}, 0, 0).PadTo(32).Zeros(32);
  EXPECT_FALSE(Parse(zero_dims.bytes).ok());
  GgufBytes five_dims;
  five_dims.Header(3, 1, 0).TensorInfo("t", {1, 1, 1, 1, 1}, 0, 0).PadTo(32).Zeros(32);
  EXPECT_FALSE(Parse(five_dims.bytes).ok());
  GgufBytes zero_extent;
  zero_extent.Header(3, 1, 0).TensorInfo("t", {4, 0}, 0, 0).PadTo(32).Zeros(32);
  EXPECT_FALSE(Parse(zero_extent.bytes).ok());
  GgufBytes overflow;
  overflow.Header(3, 1, 0).TensorInfo("t", {1ull << 32, 1ull << 32}, 0, 0).PadTo(32).Zeros(32);
  EXPECT_FALSE(Parse(overflow.bytes).ok());
  GgufBytes q8_partial_block;  // Q8_0 rows must be a multiple of 32
  q8_partial_block.Header(3, 1, 0).TensorInfo("t", {33}, 8, 0).PadTo(32).Zeros(128);
  EXPECT_NE(Parse(q8_partial_block.bytes).status().message().find("multiple"), std::string::npos);
}

TEST(Gguf, RejectsDuplicatesAndEmptyNames) {
  GgufBytes dup_key;
  dup_key.Header(3, 0, 2).Key("a", 4).U32(1).Key("a", 4).U32(2);
  EXPECT_NE(Parse(dup_key.bytes).status().message().find("duplicate"), std::string::npos);
  GgufBytes dup_tensor;
  dup_tensor.Header(3, 2, 0).TensorInfo("t", {8}, 0, 0).TensorInfo("t", {8}, 0, 32).PadTo(32).Zeros(64);
  EXPECT_NE(Parse(dup_tensor.bytes).status().message().find("duplicate"), std::string::npos);
  GgufBytes empty_key;
  empty_key.Header(3, 0, 1).Key("", 4).U32(1);
  EXPECT_FALSE(Parse(empty_key.bytes).ok());
  GgufBytes bad_bool;
  bad_bool.Header(3, 0, 1).Key("b", 7).U8(7);
  EXPECT_FALSE(Parse(bad_bool.bytes).ok());
}

TEST(Gguf, LimitsArrayNesting) {
  GgufBytes nested;  // array of array of array of u8
  nested.Header(3, 0, 1).Key("k", 9).U32(9).U64(1).U32(9).U64(1).U32(0).U64(1).U8(1);
  EXPECT_FALSE(Parse(nested.bytes).ok());
  GgufBytes one_level;
  one_level.Header(3, 0, 1).Key("k", 9).U32(9).U64(1).U32(0).U64(2).U8(1).U8(2);
  EXPECT_TRUE(Parse(one_level.bytes).ok());
}

TEST(Gguf, OpenReportsMissingAndNonRegularFiles) {
  EXPECT_EQ(GgufFile::Open("/nonexistent/x.gguf").status().code(), StatusCode::kIoError);
  EXPECT_FALSE(GgufFile::Open("/tmp").ok());
  EXPECT_FALSE(GgufFile::Open("/dev/null").ok());
}

TEST(Gguf, OpensEveryModelAndVocabInSharedData) {
  std::string dir = testing::SharedDataDir();
  DG_REQUIRE_SHARED_DATA(dir + "/models");
  int opened = 0;
  for (const char* sub : {"/models", "/vocab"}) {
    for (const auto& e : std::filesystem::directory_iterator(dir + sub)) {
      if (e.path().extension() != ".gguf") continue;
      auto f = GgufFile::Open(e.path().string());
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      EXPECT_TRUE(f->GetString("general.architecture").ok()) << e.path();
      EXPECT_TRUE(f->GetStringArray("tokenizer.ggml.tokens").ok()) << e.path();
      if (std::string(sub) == "/models") {
        EXPECT_GT(f->tensors().size(), 10u) << e.path();
      }
      ++opened;
    }
  }
  EXPECT_GE(opened, 10);
}

}  // namespace
}  // namespace deepgate
