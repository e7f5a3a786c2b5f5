// Engine: continuous batching must not change results, and every bound (queue, deadline,
// cancellation, shutdown) ends a stream with a clear final event.
#include "core/engine.h"

#include <gtest/gtest.h>

#include "core/generator.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "tiny_model.h"

namespace deepgate {
namespace {

using Clock = std::chrono::steady_clock;

struct Collected {
  std::vector<int32_t> tokens;
  std::string text;
  EngineEvent last;
};

Collected Drain(EngineStream& stream) {
  Collected c;
  EngineEvent e;
  while (stream.Next(&e, Clock::now() + std::chrono::seconds(60))) {
    if (!e.done) c.tokens.push_back(e.token);
    c.text += e.text;
    if (e.done) {
      c.last = e;
      break;
    }
  }
  return c;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = testing::TinyModelPath();
    ASSERT_FALSE(path.empty()) << "could not write the built-in demo model";
    ModelOptions options;
    options.n_threads = 2;
    auto loaded = Model::Load(path, options);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    model_ = std::move(*loaded);
  }

  EngineRequest Request(const std::string& text, int max_tokens = 12) {
    EngineRequest r;
    r.prompt = model_->tokenizer().Encode(text, true, false);
    r.max_tokens = max_tokens;
    r.sampling.temperature = 0.0f;
    r.ignore_eos = true;
    return r;
  }

  // The reference: the single-sequence loop without any batching.
  Collected Alone(const EngineRequest& r) {
    auto state = model_->NewSequence(256);
    EXPECT_TRUE(state.ok());
    GenerateRequest g;
    g.prompt = r.prompt;
    g.max_tokens = r.max_tokens;
    g.sampling = r.sampling;
    g.ignore_eos = r.ignore_eos;
    Collected c;
    auto result = Generate(*model_, **state, g, [&](const GenerateStep& s) {
      c.tokens.push_back(s.token);
      c.text += s.text;
      return true;
    });
    EXPECT_TRUE(result.ok());
    if (result.ok()) c.text += result->tail;
    return c;
  }

  std::unique_ptr<Engine> MakeEngine(EngineOptions options) {
    if (options.n_ctx == 4096) options.n_ctx = 256;
    auto engine = Engine::Create(*model_, options);
    EXPECT_TRUE(engine.ok()) << engine.status().ToString();
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  std::unique_ptr<Model> model_;
};

TEST_F(EngineTest, BatchedGreedyEqualsUnbatched) {
  const std::vector<std::string> prompts = {"def add(a, b):", "The quick brown fox",
                                            "int main() { return", "Once upon a time, in a land far away,"};
  EngineOptions options;
  options.max_sequences = 4;
  options.prefill_chunk = 7;  // small: prompts are prefilled over several steps beside decodes
  auto engine = MakeEngine(options);
  std::vector<std::shared_ptr<EngineStream>> streams;
  for (const auto& p : prompts) {
    auto s = engine->Submit(Request(p));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    streams.push_back(*s);
  }
  // Drain everything before running the reference: the model serves one Eval at a time.
  std::vector<Collected> results;
  for (auto& s : streams) results.push_back(Drain(*s));
  for (size_t i = 0; i < prompts.size(); ++i) {
    const Collected& batched = results[i];
    Collected alone = Alone(Request(prompts[i]));
    EXPECT_EQ(batched.tokens, alone.tokens) << prompts[i];
    EXPECT_EQ(batched.text, alone.text) << prompts[i];
    EXPECT_TRUE(batched.last.status.ok());
    EXPECT_EQ(batched.last.finish, FinishReason::kLength);
    EXPECT_EQ(batched.last.completion_tokens, 12);
    EXPECT_EQ(batched.last.prompt_tokens, static_cast<int32_t>(Request(prompts[i]).prompt.size()));
  }
  EXPECT_EQ(engine->stats().completed, prompts.size());
}

TEST_F(EngineTest, FullQueueIsRejected) {
  EngineOptions options;
  options.max_sequences = 1;
  options.queue_capacity = 1;
  auto engine = MakeEngine(options);
  int accepted = 0, rejected = 0;
  std::vector<std::shared_ptr<EngineStream>> streams;
  for (int i = 0; i < 6; ++i) {
    auto s = engine->Submit(Request("hello", 200));  // none can finish while we submit
    if (s.ok()) {
      ++accepted;
      streams.push_back(*s);
    } else {
      EXPECT_EQ(s.status().code(), StatusCode::kResourceExhausted);
      ++rejected;
    }
  }
  EXPECT_GE(rejected, 4);  // at most one active and one waiting
  EXPECT_EQ(engine->stats().rejected, static_cast<uint64_t>(rejected));
  for (auto& s : streams) Drain(*s);
  EXPECT_EQ(accepted + rejected, 6);
}

TEST_F(EngineTest, CancelEndsTheStream) {
  auto engine = MakeEngine({});
  auto s = engine->Submit(Request("hello", 200));
  ASSERT_TRUE(s.ok());
  EngineEvent first;
  ASSERT_TRUE((*s)->Next(&first, Clock::now() + std::chrono::seconds(30)));
  (*s)->Cancel();
  Collected rest = Drain(**s);
  EXPECT_EQ(rest.last.finish, FinishReason::kCancelled);
  EXPECT_LT(rest.last.completion_tokens, 200);
  EXPECT_EQ(engine->stats().cancelled, 1u);
}

TEST_F(EngineTest, CancelledSlotIsFreeForTheNextRequest) {
  EngineOptions options;
  options.max_sequences = 1;
  options.queue_capacity = 0;  // only free slots admit
  auto engine = MakeEngine(options);
  auto first = engine->Submit(Request("hello", 200));
  ASSERT_TRUE(first.ok());
  EngineEvent e;
  ASSERT_TRUE((*first)->Next(&e, Clock::now() + std::chrono::seconds(30)));
  EXPECT_EQ(engine->Submit(Request("busy")).status().code(), StatusCode::kResourceExhausted);
  (*first)->Cancel();
  Drain(**first);
  auto second = engine->Submit(Request("next", 4));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(Drain(**second).last.status.ok());
}

TEST_F(EngineTest, PassedDeadlineFailsTheRequest) {
  auto engine = MakeEngine({});
  EngineRequest r = Request("hello", 50);
  r.deadline = Clock::now();
  auto s = engine->Submit(r);
  ASSERT_TRUE(s.ok());
  Collected c = Drain(**s);
  EXPECT_EQ(c.last.status.code(), StatusCode::kUnavailable);
}

TEST_F(EngineTest, ShutdownCancelsAndRefuses) {
  auto engine = MakeEngine({});
  auto s = engine->Submit(Request("hello", 200));
  ASSERT_TRUE(s.ok());
  engine->Shutdown(Clock::now());
  Collected c = Drain(**s);
  EXPECT_TRUE(c.last.done);
  EXPECT_EQ(engine->Submit(Request("hello")).status().code(), StatusCode::kUnavailable);
}

TEST_F(EngineTest, BadRequestsAreRejectedAtSubmit) {
  EngineOptions options;
  options.n_ctx = 16;
  auto engine = MakeEngine(options);
  EngineRequest empty = Request("x");
  empty.prompt.clear();
  EXPECT_EQ(engine->Submit(empty).status().code(), StatusCode::kInvalidArgument);
  EngineRequest long_prompt = Request("x");
  long_prompt.prompt.assign(16, 1);
  EXPECT_EQ(engine->Submit(long_prompt).status().code(), StatusCode::kInvalidArgument);
  EngineRequest bad_id = Request("x");
  bad_id.prompt = {-1};
  EXPECT_EQ(engine->Submit(bad_id).status().code(), StatusCode::kInvalidArgument);
  EngineRequest bad_temp = Request("x");
  bad_temp.sampling.temperature = 3.0f;
  EXPECT_EQ(engine->Submit(bad_temp).status().code(), StatusCode::kInvalidArgument);
  EngineRequest zero = Request("x", 0);
  EXPECT_EQ(engine->Submit(zero).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(EngineTest, BadOptionsAreRejected) {
  EngineOptions options;
  options.max_sequences = 0;
  EXPECT_FALSE(Engine::Create(*model_, options).ok());
  options = {};
  options.n_ctx = model_->info().n_ctx_train + 1;
  EXPECT_FALSE(Engine::Create(*model_, options).ok());
  options = {};
  options.n_ctx = 256;
  options.kv_budget_bytes = 1;
  EXPECT_FALSE(Engine::Create(*model_, options).ok());
}

}  // namespace
}  // namespace deepgate
