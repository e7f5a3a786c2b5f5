// Generate: the single-sequence loop over a real model file (tiny_model.h: the shared qwen2
// tiny model, else the built-in demo model).
#include "core/generator.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "tiny_model.h"

namespace deepgate {
namespace {

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = testing::TinyModelPath();
    ASSERT_FALSE(path.empty()) << "could not write the built-in demo model";
    ModelOptions options;
    options.n_threads = 2;
    auto loaded = Model::Load(path, options);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    model_ = std::move(*loaded);
    prompt_ = model_->tokenizer().Encode("def fibonacci(n):", true, false);
  }

  struct Run {
    GenerateResult result;
    std::vector<int32_t> tokens;
    std::string text;
  };

  Run Generate(GenerateRequest request, SequenceState* reuse = nullptr, int cancel_after = -1) {
    Run run;
    std::unique_ptr<SequenceState> fresh;
    if (!reuse) {
      auto state = model_->NewSequence(256);
      EXPECT_TRUE(state.ok());
      fresh = std::move(*state);
      reuse = fresh.get();
    }
    auto result = deepgate::Generate(*model_, *reuse, request, [&](const GenerateStep& step) {
      run.tokens.push_back(step.token);
      run.text += step.text;
      return cancel_after < 0 || static_cast<int>(run.tokens.size()) < cancel_after;
    });
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (result.ok()) {
      run.result = *result;
      run.text += result->tail;
    }
    return run;
  }

  GenerateRequest Request(float temperature, uint64_t seed, int max_tokens = 16) {
    GenerateRequest r;
    r.prompt = prompt_;
    r.max_tokens = max_tokens;
    r.sampling.temperature = temperature;
    r.sampling.seed = seed;
    r.ignore_eos = true;
    return r;
  }

  std::unique_ptr<Model> model_;
  std::vector<int32_t> prompt_;
};

TEST_F(GeneratorTest, GreedyMatchesArgmaxOfEval) {
  Run run = Generate(Request(0.0f, 0, 8));
  ASSERT_EQ(run.tokens.size(), 8u);
  auto state = model_->NewSequence(256);
  ASSERT_TRUE(state.ok());
  std::vector<float> logits(static_cast<size_t>(model_->info().n_vocab));
  std::vector<int32_t> seq = prompt_;
  ASSERT_TRUE(model_->Eval(**state, seq.data(), static_cast<int32_t>(seq.size()), logits.data(), false).ok());
  for (size_t i = 0; i < run.tokens.size(); ++i) {
    const int32_t best = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    EXPECT_EQ(run.tokens[i], best) << "step " << i;
    ASSERT_TRUE(model_->Eval(**state, &run.tokens[i], 1, logits.data(), false).ok());
  }
  EXPECT_EQ(run.result.finish, FinishReason::kLength);
  EXPECT_EQ(run.result.completion_tokens, 8);
  EXPECT_EQ(run.result.prompt_tokens, static_cast<int32_t>(prompt_.size()));
}

TEST_F(GeneratorTest, SameSeedSameOutputOtherSeedDiffers) {
  Run a = Generate(Request(1.0f, 7));
  Run b = Generate(Request(1.0f, 7));
  Run c = Generate(Request(1.0f, 8));
  EXPECT_EQ(a.tokens, b.tokens);
  EXPECT_EQ(a.text, b.text);
  EXPECT_NE(a.tokens, c.tokens);
}

TEST_F(GeneratorTest, TextIsTheDecodedTokens) {
  Run run = Generate(Request(0.0f, 0, 24));
  EXPECT_EQ(run.text, model_->tokenizer().Decode(run.tokens));
}

TEST_F(GeneratorTest, StopStringEndsBeforeItself) {
  Run full = Generate(Request(0.0f, 0, 24));
  ASSERT_GE(full.text.size(), 12u);
  // Stop at a piece from the middle of the greedy output: the same greedy run must end just
  // before its first occurrence.
  const std::string stop = full.text.substr(full.text.size() / 2, 3);
  GenerateRequest request = Request(0.0f, 0, 24);
  request.stop = {stop};
  Run stopped = Generate(request);
  EXPECT_EQ(stopped.result.finish, FinishReason::kStop);
  EXPECT_EQ(stopped.text, full.text.substr(0, full.text.find(stop)));
}

TEST_F(GeneratorTest, ReusesACachedPrefix) {
  Run fresh = Generate(Request(0.0f, 0, 8));
  auto state = model_->NewSequence(256);
  ASSERT_TRUE(state.ok());
  // Evaluate a prefix of the prompt (plus a token that must be dropped), then generate.
  std::vector<int32_t> prefix(prompt_.begin(), prompt_.end() - 1);
  prefix.push_back(prompt_.front());
  ASSERT_TRUE(model_->Eval(**state, prefix.data(), static_cast<int32_t>(prefix.size()), nullptr, false).ok());
  (*state)->Truncate(static_cast<int32_t>(prompt_.size()) - 1);
  Run reused = Generate(Request(0.0f, 0, 8), state->get());
  EXPECT_EQ(reused.tokens, fresh.tokens);
}

TEST_F(GeneratorTest, CallbackCancels) {
  Run run = Generate(Request(0.0f, 0, 16), nullptr, 3);
  EXPECT_EQ(run.tokens.size(), 3u);
  EXPECT_EQ(run.result.finish, FinishReason::kCancelled);
}

TEST_F(GeneratorTest, ContextFullEndsWithLength) {
  auto state = model_->NewSequence(static_cast<int32_t>(prompt_.size()) + 4);
  ASSERT_TRUE(state.ok());
  Run run = Generate(Request(0.0f, 0, 100), state->get());
  EXPECT_EQ(run.result.finish, FinishReason::kLength);
  EXPECT_LE(run.result.completion_tokens, 5);
}

TEST_F(GeneratorTest, BadRequestsAreErrors) {
  auto state = model_->NewSequence(16);
  ASSERT_TRUE(state.ok());
  auto ignore = [](const GenerateStep&) { return true; };
  GenerateRequest empty = Request(0.0f, 0);
  empty.prompt.clear();
  EXPECT_EQ(deepgate::Generate(*model_, **state, empty, ignore).status().code(), StatusCode::kInvalidArgument);
  GenerateRequest too_long = Request(0.0f, 0);
  too_long.prompt.assign(16, prompt_.front());
  EXPECT_EQ(deepgate::Generate(*model_, **state, too_long, ignore).status().code(), StatusCode::kInvalidArgument);
  GenerateRequest bad_id = Request(0.0f, 0);
  bad_id.prompt = {model_->info().n_vocab};
  EXPECT_EQ(deepgate::Generate(*model_, **state, bad_id, ignore).status().code(), StatusCode::kInvalidArgument);
  GenerateRequest bad_temp = Request(-1.0f, 0);
  EXPECT_EQ(deepgate::Generate(*model_, **state, bad_temp, ignore).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*state)->n_past(), 0);
}

}  // namespace
}  // namespace deepgate
