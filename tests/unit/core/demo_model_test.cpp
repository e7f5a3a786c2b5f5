// Demo models: every type writes a file the reader accepts with the promised layout; the
// built-in vocabulary tokenizes and round-trips text; the template is recognised; the bytes
// depend on the seed alone.
#include "core/demo/demo_model.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/chat_template.h"
#include "core/demo/demo_vocab.h"
#include "core/gguf.h"
#include "core/quant/quant.h"
#include "core/tokenizer/tokenizer.h"

namespace deepgate::demo {
namespace {

class DemoModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("demo_model_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const DemoSpec& spec, const std::string& file = "m.gguf") {
    const std::string path = (dir_ / file).string();
    DemoModelStats stats;
    Status s = WriteDemoModel(spec, path, &stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(stats.file_bytes, std::filesystem::file_size(path));
    return path;
  }

  std::filesystem::path dir_;
};

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

DemoSpec Spec(const std::string& arch, const std::string& type, uint64_t seed = 42) {
  DemoSpec s;
  s.arch = arch;
  s.type = type;
  s.seed = seed;
  return s;
}

TEST_F(DemoModelTest, EveryTypeOpensWithTheTinyLayout) {
  const std::vector<std::pair<std::string, GgmlType>> types = {
      {"f32", GgmlType::F32}, {"f16", GgmlType::F16}, {"q8_0", GgmlType::Q8_0},
      {"q4_0", GgmlType::Q4_0}, {"q4_k_m", GgmlType::Q4_K}, {"bf16", GgmlType::BF16},
      {"q5_k_m", GgmlType::Q5_K}, {"q6_k", GgmlType::Q6_K}};
  for (const std::string arch : {"llama", "qwen2"}) {
    for (const auto& [type, q_type] : types) {
      SCOPED_TRACE(arch + " " + type);
      auto f = GgufFile::Open(Write(Spec(arch, type)));
      ASSERT_TRUE(f.ok()) << f.status().ToString();
      EXPECT_EQ(*f->GetString("general.architecture"), arch);
      EXPECT_EQ(*f->GetUint(arch + ".block_count"), 2u);
      EXPECT_EQ(*f->GetUint(arch + ".embedding_length"), 256u);
      EXPECT_EQ(*f->GetUint(arch + ".attention.head_count"), 4u);
      EXPECT_EQ(*f->GetUint(arch + ".attention.head_count_kv"), 2u);
      EXPECT_EQ(*f->GetUint(arch + ".feed_forward_length"), 512u);
      EXPECT_EQ(*f->GetUint(arch + ".context_length"), 2048u);
      EXPECT_EQ(*f->GetUint(arch + ".rope.dimension_count"), 64u);
      EXPECT_TRUE(f->Has(arch + ".rope.freq_base"));
      EXPECT_TRUE(f->Has(arch + ".attention.layer_norm_rms_epsilon"));

      EXPECT_EQ(f->FindTensor("output.weight"), nullptr);  // tied
      const GgufTensor* q = f->FindTensor("blk.1.attn_q.weight");
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(q->type, q_type);
      EXPECT_EQ(q->ne[0], 256);
      EXPECT_EQ(q->ne[1], 256);
      const GgufTensor* k = f->FindTensor("blk.0.attn_k.weight");
      ASSERT_NE(k, nullptr);
      EXPECT_EQ(k->ne[1], 128);  // 2 KV heads of 64
      const GgufTensor* down = f->FindTensor("blk.0.ffn_down.weight");
      ASSERT_NE(down, nullptr);
      EXPECT_EQ(down->ne[0], 512);
      EXPECT_EQ(down->ne[1], 256);
      EXPECT_EQ(f->FindTensor("blk.0.ffn_norm.weight")->type, GgmlType::F32);
      EXPECT_EQ(f->FindTensor("output_norm.weight")->type, GgmlType::F32);
      const GgufTensor* embd = f->FindTensor("token_embd.weight");
      ASSERT_NE(embd, nullptr);
      EXPECT_EQ(embd->ne[0], 256);
      EXPECT_EQ(embd->ne[1], static_cast<int64_t>(f->GetStringArray("tokenizer.ggml.tokens")->size()));
      EXPECT_EQ(f->FindTensor("blk.0.attn_q.bias") != nullptr, arch == "qwen2");
    }
  }
}

TEST_F(DemoModelTest, Q4KMMixesTypesLikeLlamaCpp) {
  auto f = GgufFile::Open(Write(Spec("qwen2", "q4_k_m")));
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(*f->GetUint("general.file_type"), 15u);  // LLAMA_FTYPE_MOSTLY_Q4_K_M
  EXPECT_EQ(f->FindTensor("token_embd.weight")->type, GgmlType::Q6_K);
  // With 2 layers, llama.cpp's rule gives more bits to the last one (i >= 7n/8) only.
  EXPECT_EQ(f->FindTensor("blk.0.attn_v.weight")->type, GgmlType::Q4_K);
  EXPECT_EQ(f->FindTensor("blk.1.attn_v.weight")->type, GgmlType::Q6_K);
  EXPECT_EQ(f->FindTensor("blk.1.ffn_down.weight")->type, GgmlType::Q6_K);
  EXPECT_EQ(f->FindTensor("blk.1.ffn_up.weight")->type, GgmlType::Q4_K);
}

TEST_F(DemoModelTest, Q5KMAndQ6KFollowTheSameMix) {
  auto m5 = GgufFile::Open(Write(Spec("qwen2", "q5_k_m")));
  ASSERT_TRUE(m5.ok());
  EXPECT_EQ(*m5->GetUint("general.file_type"), 17u);  // LLAMA_FTYPE_MOSTLY_Q5_K_M
  EXPECT_EQ(m5->FindTensor("token_embd.weight")->type, GgmlType::Q6_K);
  EXPECT_EQ(m5->FindTensor("blk.0.attn_v.weight")->type, GgmlType::Q5_K);
  EXPECT_EQ(m5->FindTensor("blk.1.ffn_down.weight")->type, GgmlType::Q6_K);
  auto m6 = GgufFile::Open(Write(Spec("qwen2", "q6_k")));
  ASSERT_TRUE(m6.ok());
  EXPECT_EQ(*m6->GetUint("general.file_type"), 18u);  // LLAMA_FTYPE_MOSTLY_Q6_K
  EXPECT_EQ(m6->FindTensor("blk.0.ffn_up.weight")->type, GgmlType::Q6_K);
  auto b = GgufFile::Open(Write(Spec("qwen2", "bf16")));
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(*b->GetUint("general.file_type"), 32u);  // LLAMA_FTYPE_MOSTLY_BF16
  EXPECT_EQ(b->FindTensor("blk.0.attn_norm.weight")->type, GgmlType::F32);
}

TEST_F(DemoModelTest, WeightsAreFiniteAndNotDegenerate) {
  auto f = GgufFile::Open(Write(Spec("qwen2", "q8_0")));
  ASSERT_TRUE(f.ok());
  for (const char* name : {"token_embd.weight", "blk.0.ffn_down.weight", "blk.1.attn_norm.weight"}) {
    const GgufTensor* t = f->FindTensor(name);
    ASSERT_NE(t, nullptr);
    std::vector<float> row(static_cast<size_t>(t->ne[0]));
    quant::DequantizeRow(t->type, t->data, row.data(), t->ne[0]);
    double sum = 0, sum2 = 0;
    for (float x : row) {
      ASSERT_TRUE(std::isfinite(x));
      sum += x, sum2 += static_cast<double>(x) * x;
    }
    const double mean = sum / row.size(), stdev = std::sqrt(sum2 / row.size() - mean * mean);
    SCOPED_TRACE(name);
    if (std::string(name).find("norm") != std::string::npos) {
      EXPECT_NEAR(mean, 1.0, 0.01);
    } else {
      EXPECT_NEAR(mean, 0.0, 0.01);
      EXPECT_GT(stdev, 0.002);
      EXPECT_LT(stdev, 0.05);
    }
  }
}

TEST_F(DemoModelTest, SameSeedGivesIdenticalBytesAcrossThreadCounts) {
  DemoSpec a = Spec("llama", "q4_k_m", 7);
  a.n_threads = 1;
  DemoSpec b = a;
  b.n_threads = 3;
  const std::string one = ReadAll(Write(a, "a.gguf"));
  EXPECT_EQ(one, ReadAll(Write(b, "b.gguf")));
  EXPECT_NE(one, ReadAll(Write(Spec("llama", "q4_k_m", 8), "c.gguf")));
}

TEST_F(DemoModelTest, RejectsUnknownSpecFields) {
  EXPECT_EQ(ValidateDemoSpec(Spec("gpt2", "q8_0")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateDemoSpec(Spec("llama", "q3_k")).code(), StatusCode::kInvalidArgument);
  DemoSpec s = Spec("llama", "f16");
  s.shape = "huge";
  EXPECT_EQ(ValidateDemoSpec(s).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(WriteDemoModel(s, (dir_ / "x.gguf").string()).code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.gguf"));
}

class DemoTokenizerTest : public DemoModelTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(DemoTokenizerTest, EncodesAndDecodesText) {
  auto f = GgufFile::Open(Write(Spec(GetParam(), "q8_0")));
  ASSERT_TRUE(f.ok());
  auto tok = Tokenizer::FromGguf(*f);
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const Tokenizer& t = **tok;
  for (const std::string text :
       {"Hello world! The model writes one token at a time.", "int main() {\n  return 0;\n}\n",
        "Caf\xC3\xA9 \xC3\xBC" "ber Stra\xC3\x9F" "e, \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x98\x80", "  \t\n 12345 $3.50"}) {
    const std::vector<int32_t> ids = t.Encode(text, false, false);
    EXPECT_EQ(t.Decode(ids), text);
    for (int32_t id : ids) EXPECT_EQ(t.attr(id), TokenAttr::kNormal) << text;
  }
  // Learned merges do their job: common English is shorter than its bytes.
  const std::string english = "the model reads the tokens";
  EXPECT_LT(t.Encode(english, false, false).size(), english.size() / 2);
}

TEST_P(DemoTokenizerTest, SpecialTokensParseOnlyWhenAsked) {
  auto f = GgufFile::Open(Write(Spec(GetParam(), "q8_0")));
  ASSERT_TRUE(f.ok());
  auto tok = Tokenizer::FromGguf(*f);
  ASSERT_TRUE(tok.ok());
  const Tokenizer& t = **tok;
  const bool qwen2 = GetParam() == "qwen2";
  const std::string marker = qwen2 ? "<|im_start|>" : "<\xEF\xBD\x9CUser\xEF\xBD\x9C>";
  const auto id = t.FindToken(marker);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(t.attr(*id), TokenAttr::kControl);
  EXPECT_EQ(t.Encode(marker + "hi", false, true).front(), *id);
  const std::vector<int32_t> plain = t.Encode(marker + "hi", false, false);
  EXPECT_GT(plain.size(), 2u);
  EXPECT_EQ(t.Decode(plain), marker + "hi");
  EXPECT_TRUE(t.IsEndOfGeneration(t.eos()));
  if (qwen2) {
    EXPECT_FALSE(t.add_bos());
    EXPECT_EQ(t.text(t.eos()), "<|im_end|>");
  } else {
    EXPECT_TRUE(t.add_bos());
    EXPECT_EQ(t.Encode("x", true, false).front(), t.bos());
    // <think> is user-defined: recognised even without parse_special.
    const auto think = t.FindToken("<think>");
    ASSERT_TRUE(think.has_value());
    EXPECT_EQ(t.Encode("<think>", false, false), std::vector<int32_t>{*think});
  }
}

TEST_P(DemoTokenizerTest, ChatTemplateIsRecognised) {
  auto f = GgufFile::Open(Write(Spec(GetParam(), "q8_0")));
  ASSERT_TRUE(f.ok());
  auto kind = DetectChatTemplate(*f->GetString("tokenizer.chat_template"));
  ASSERT_TRUE(kind.ok());
  EXPECT_EQ(*kind, GetParam() == "qwen2" ? ChatTemplateKind::kChatMl : ChatTemplateKind::kDeepSeekR1);
}

INSTANTIATE_TEST_SUITE_P(Arch, DemoTokenizerTest, ::testing::Values("llama", "qwen2"));

TEST(DemoVocabTest, PaddedVocabularyUsesUnusedPlaceholdersThatNeverEncode) {
  DemoVocabOptions options;
  options.arch = "qwen2";
  options.padded_size = 151936;
  auto v = BuildDemoVocab(options);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->n_vocab(), 151936);
  EXPECT_GE(v->merges.size(), 200u);
  EXPECT_EQ(v->token_types.back(), kTokenUnused);

  VocabSpec spec;
  spec.model = "gpt2";
  spec.pre = v->pre;
  spec.tokens = v->tokens;
  spec.token_types.assign(v->token_types.begin(), v->token_types.end());
  spec.merges = v->merges;
  spec.bos = v->bos;
  spec.eos = v->eos;
  auto tok = Tokenizer::FromVocab(std::move(spec));
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  const std::string text = "[PAD151935] <|im_end|> hello";
  for (int32_t id : (*tok)->Encode(text, true, true)) EXPECT_LT(id, v->n_learned + 3);
  EXPECT_EQ((*tok)->Decode({151935}), "");
}

TEST(DemoVocabTest, PaddingBelowNaturalSizeIsAnError) {
  DemoVocabOptions options;
  options.padded_size = 300;
  EXPECT_EQ(BuildDemoVocab(options).status().code(), StatusCode::kInvalidArgument);
}

TEST(DemoVocabTest, LearningIsDeterministic) {
  DemoVocabOptions options;
  options.arch = "llama";
  auto a = BuildDemoVocab(options), b = BuildDemoVocab(options);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->tokens, b->tokens);
  EXPECT_EQ(a->merges, b->merges);
}

}  // namespace
}  // namespace deepgate::demo
