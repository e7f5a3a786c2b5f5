// deepgate model demo --arch deepseek2: the tiny shape in every type loads as deepseek2 with
// the V2-Lite layout (27 layers, no q LoRA, attn_kv_b), evaluates finitely and the same in one
// batch as one by one; bad shapes and types are refused; the bytes depend on the seed only.
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "core/demo/demo_deepseek2.h"
#include "core/gguf.h"
#include "core/model/model.h"
#include "test_support.h"

namespace deepgate {
namespace {

TEST(DemoDeepseek2Test, TinyLoadsAndEvaluatesInEveryType) {
  const auto dir = testing::TempDir("demo-ds2");
  for (const char* type : {"f16", "q8_0", "q4_0", "q4_k_m"}) {
    demo::DemoSpec spec;
    spec.arch = "deepseek2";
    spec.shape = "tiny";
    spec.type = type;
    spec.n_threads = 2;
    const std::string path = (dir / (std::string(type) + ".gguf")).string();
    ASSERT_TRUE(demo::WriteDeepseek2DemoModel(spec, path, nullptr).ok()) << type;
    auto m = Model::Load(path, ModelOptions{2});
    ASSERT_TRUE(m.ok()) << type << ": " << m.status().ToString();
    const ModelInfo& info = (*m)->info();
    EXPECT_EQ(info.arch, "deepseek2");
    EXPECT_EQ(info.n_layer, 27);
    EXPECT_EQ(info.kv_bytes_per_token, 27u * (64 + 16) * 2) << type;
    EXPECT_TRUE((*m)->gguf().FindTensor("blk.1.attn_kv_b.weight"));
    EXPECT_FALSE((*m)->gguf().FindTensor("blk.1.attn_q_a.weight"));
    const std::vector<int32_t> tokens = {1, 20, 30, 40, 50, 60, 70, 80, 90, 100};
    const size_t nv = static_cast<size_t>(info.n_vocab);
    std::vector<float> batch(tokens.size() * nv), steps(tokens.size() * nv);
    auto a = (*m)->NewSequence(64);
    auto b = (*m)->NewSequence(64);
    ASSERT_TRUE(a.ok() && b.ok());
    // 10 tokens in one batch take the expanded (llama.cpp-mirroring) form, one by one the
    // latent form: the same function up to roundings.
    ASSERT_TRUE((*m)->Eval(**a, tokens.data(), static_cast<int32_t>(tokens.size()), batch.data(), true).ok());
    for (size_t i = 0; i < tokens.size(); ++i) ASSERT_TRUE((*m)->Eval(**b, &tokens[i], 1, steps.data() + i * nv, false).ok());
    double dot = 0, na = 0, nb = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      ASSERT_TRUE(std::isfinite(batch[i])) << type;
      dot += double(batch[i]) * steps[i], na += double(batch[i]) * batch[i], nb += double(steps[i]) * steps[i];
    }
    EXPECT_GE(dot / std::sqrt(na * nb), 0.999) << type;
  }
  std::filesystem::remove_all(dir);
}

TEST(DemoDeepseek2Test, BadSpecsAreRefusedAndBytesFollowTheSeed) {
  demo::DemoSpec spec;
  spec.arch = "deepseek2";
  spec.shape = "v3";
  EXPECT_FALSE(demo::ValidateDeepseek2DemoSpec(spec).ok());
  spec.shape = "v2-lite";
  spec.type = "q3_k";
  EXPECT_FALSE(demo::ValidateDeepseek2DemoSpec(spec).ok());
  spec.type = "q4_0";
  EXPECT_TRUE(demo::ValidateDeepseek2DemoSpec(spec).ok());

  const auto dir = testing::TempDir("demo-ds2-seed");
  auto bytes = [&](int threads, const std::string& name) {
    demo::DemoSpec s;
    s.arch = "deepseek2";
    s.shape = "tiny";
    s.n_threads = threads;
    const std::string path = (dir / name).string();
    EXPECT_TRUE(demo::WriteDeepseek2DemoModel(s, path, nullptr).ok());
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  EXPECT_EQ(bytes(1, "a.gguf"), bytes(3, "b.gguf"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace deepgate
