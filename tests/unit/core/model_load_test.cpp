// Model::Load: a valid tiny model fills ModelInfo; every kind of bad file (missing tensor,
// wrong shape, unsupported type, bad hyperparameters, unknown architecture) is an error value
// naming the problem, never a crash.
#include <gtest/gtest.h>

#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "model_test_util.h"

namespace deepgate {
namespace {

using testing::LoadTinyModel;
using testing::TinyModelSpec;

TEST(ModelLoadTest, TinyLlamaFillsInfo) {
  TinyModelSpec spec;
  auto model = LoadTinyModel(spec, "load-info");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ModelInfo& info = (*model)->info();
  EXPECT_EQ(info.arch, "llama");
  EXPECT_EQ(info.n_vocab, 48);
  EXPECT_EQ(info.n_embd, 64);
  EXPECT_EQ(info.n_layer, 2);
  EXPECT_EQ(info.n_head, 4);
  EXPECT_EQ(info.n_head_kv, 2);
  EXPECT_EQ(info.n_ff, 96);
  EXPECT_EQ(info.head_dim, 16);
  EXPECT_EQ(info.n_ctx_train, 256);
  EXPECT_EQ(info.rope_kind, "normal");
  EXPECT_TRUE(info.tied_output);
  // 48*64 embedding + 64 norm + per layer (2 norms, q 64x64, k/v 64x32, o 64x64, 3 x 64x96).
  const int64_t per_layer = 2 * 64 + 64 * 64 + 2 * 64 * 32 + 64 * 64 + 3 * 64 * 96;
  EXPECT_EQ(info.n_params, 48 * 64 + 64 + 2 * per_layer);
  EXPECT_EQ(info.weight_bytes, static_cast<uint64_t>(info.n_params) * 4);
  EXPECT_EQ(info.type_summary, "f32: 20");
  EXPECT_EQ((*model)->tokenizer().n_vocab(), 48);
}

TEST(ModelLoadTest, Qwen2UsesNeoxRopeAndSeparateOutput) {
  TinyModelSpec spec;
  spec.arch = "qwen2";
  spec.biases = true;
  spec.tied_output = false;
  auto model = LoadTinyModel(spec, "load-qwen2");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_EQ((*model)->info().rope_kind, "neox");
  EXPECT_FALSE((*model)->info().tied_output);
}

void ExpectLoadError(const TinyModelSpec& spec, const std::string& tag, StatusCode code,
                     const std::string& needle) {
  auto model = LoadTinyModel(spec, tag);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), code) << model.status().ToString();
  EXPECT_NE(model.status().message().find(needle), std::string::npos) << model.status().ToString();
}

TEST(ModelLoadTest, MissingTensorIsNamed) {
  TinyModelSpec spec;
  spec.drop_tensor = "blk.1.ffn_up.weight";
  ExpectLoadError(spec, "load-missing", StatusCode::kInvalidArgument, "blk.1.ffn_up.weight");
}

TEST(ModelLoadTest, MissingOutputNormIsNamed) {
  TinyModelSpec spec;
  spec.drop_tensor = "output_norm.weight";
  ExpectLoadError(spec, "load-missing-norm", StatusCode::kInvalidArgument, "output_norm.weight");
}

TEST(ModelLoadTest, WrongShapeIsNamed) {
  TinyModelSpec spec;
  spec.reshape_tensor = "blk.0.attn_k.weight";
  ExpectLoadError(spec, "load-shape", StatusCode::kInvalidArgument, "blk.0.attn_k.weight");
}

TEST(ModelLoadTest, WrongNormShapeIsNamed) {
  TinyModelSpec spec;
  spec.reshape_tensor = "blk.0.ffn_norm.weight";
  ExpectLoadError(spec, "load-norm-shape", StatusCode::kInvalidArgument, "blk.0.ffn_norm.weight");
}

TEST(ModelLoadTest, UnsupportedTensorTypeIsUnimplemented) {
  TinyModelSpec spec;
  spec.retype_tensor = "blk.0.attn_q.weight";
  ExpectLoadError(spec, "load-type", StatusCode::kUnimplemented, "blk.0.attn_q.weight");
}

TEST(ModelLoadTest, MissingHyperparameterIsNamed) {
  TinyModelSpec spec;
  spec.drop_keys = {"attention.layer_norm_rms_epsilon"};
  ExpectLoadError(spec, "load-no-eps", StatusCode::kInvalidArgument, "llama.attention.layer_norm_rms_epsilon");
}

TEST(ModelLoadTest, ZeroHeadsIsRejected) {
  TinyModelSpec spec;
  spec.u32_values["attention.head_count"] = 0;
  ExpectLoadError(spec, "load-zero-heads", StatusCode::kInvalidArgument, "attention.head_count");
}

TEST(ModelLoadTest, HeadsNotMultipleOfKvHeadsIsRejected) {
  TinyModelSpec spec;
  spec.u32_values["attention.head_count_kv"] = 3;
  ExpectLoadError(spec, "load-kv-heads", StatusCode::kInvalidArgument, "head_count_kv");
}

TEST(ModelLoadTest, HugeLayerCountIsRejected) {
  TinyModelSpec spec;
  spec.u32_values["block_count"] = 1u << 30;
  ExpectLoadError(spec, "load-layers", StatusCode::kInvalidArgument, "block_count");
}

TEST(ModelLoadTest, OddRopeDimensionIsRejected) {
  TinyModelSpec spec;
  spec.u32_values["rope.dimension_count"] = 7;
  ExpectLoadError(spec, "load-rope-dim", StatusCode::kInvalidArgument, "rope.dimension_count");
}

TEST(ModelLoadTest, UnknownRopeScalingIsUnimplemented) {
  TinyModelSpec spec;
  spec.rope_scaling = "longrope";
  ExpectLoadError(spec, "load-longrope", StatusCode::kUnimplemented, "longrope");
}

TEST(ModelLoadTest, YarnRopeScalingLoads) {
  TinyModelSpec spec;
  spec.rope_scaling = "yarn";
  auto model = LoadTinyModel(spec, "load-yarn");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
}

TEST(ModelLoadTest, LinearRopeScalingLoads) {
  TinyModelSpec spec;
  spec.rope_scaling = "linear";
  auto model = LoadTinyModel(spec, "load-linear");
  EXPECT_TRUE(model.ok()) << model.status().ToString();
}

TEST(ModelLoadTest, UnknownArchitectureIsUnimplemented) {
  TinyModelSpec spec;
  spec.arch = "gpt-neox";
  ExpectLoadError(spec, "load-arch", StatusCode::kUnimplemented, "gpt-neox");
}

TEST(ModelLoadTest, MissingFileIsAnError) {
  auto model = Model::Load("/nonexistent/model.gguf", ModelOptions{});
  EXPECT_FALSE(model.ok());
}

TEST(ModelLoadTest, NewSequenceChecksContextSize) {
  auto model = LoadTinyModel(TinyModelSpec{}, "load-newseq");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_FALSE((*model)->NewSequence(-1).ok());
  EXPECT_FALSE((*model)->NewSequence(257).ok());
  auto seq = (*model)->NewSequence(0);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ((*seq)->n_ctx(), 256);  // min(n_ctx_train, 4096)
  EXPECT_EQ((*seq)->n_past(), 0);
  EXPECT_GT((*seq)->memory_bytes(), 0u);
}

TEST(ModelLoadTest, SharedLlamaTinyInfo) {
  const std::string path = testing::SharedDataDir() + "/models/llama-spm-tiny.q4_k_m.gguf";
  DG_REQUIRE_SHARED_DATA(path);
  auto model = Model::Load(path, ModelOptions{2});
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const ModelInfo& info = (*model)->info();
  EXPECT_EQ(info.arch, "llama");
  EXPECT_EQ(info.n_embd, 256);
  EXPECT_EQ(info.n_layer, 4);
  EXPECT_EQ(info.n_head, 4);
  EXPECT_EQ(info.n_head_kv, 2);
  EXPECT_EQ(info.n_ff, 768);
  EXPECT_TRUE(info.tied_output);
  EXPECT_NE(info.type_summary.find("q4_K"), std::string::npos) << info.type_summary;
}

}  // namespace
}  // namespace deepgate
