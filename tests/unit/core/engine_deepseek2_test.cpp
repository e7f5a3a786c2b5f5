// The batching engine on a deepseek2 file (MLA + MoE, latent KV cache): with the latent
// attention form forced, sequences batched together (prompts prefilled in chunks beside
// decodes) give the same greedy tokens as each generated alone; in the default mode every
// stream completes.
#include <gtest/gtest.h>

#include "core/engine.h"
#include "core/generator.h"
#include "core/model/model.h"
#include "core/tokenizer/tokenizer.h"
#include "test_support.h"

namespace deepgate {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<int32_t> DrainTokens(EngineStream& stream, EngineEvent* last) {
  std::vector<int32_t> tokens;
  EngineEvent e;
  while (stream.Next(&e, Clock::now() + std::chrono::seconds(120))) {
    if (e.done) {
      *last = e;
      break;
    }
    tokens.push_back(e.token);
  }
  return tokens;
}

std::unique_ptr<Model> LoadDs3(ModelOptions::MlaPath path) {
  ModelOptions o;
  o.n_threads = 2;
  o.mla_path = path;
  auto m = Model::Load(testing::SharedDataDir() + "/models/ds3mla-tiny.q8_0-kvb16.gguf", o);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

EngineRequest Greedy(const Model& m, const std::string& text) {
  EngineRequest r;
  r.prompt = m.tokenizer().Encode(text, true, false);
  r.max_tokens = 10;
  r.sampling.temperature = 0.0f;
  r.ignore_eos = true;
  return r;
}

std::unique_ptr<Engine> FourSequenceEngine(Model& m, int32_t prefill_chunk) {
  EngineOptions options;
  options.max_sequences = 4;
  options.n_ctx = 128;
  options.prefill_chunk = prefill_chunk;
  auto engine = Engine::Create(m, options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  return engine.ok() ? std::move(*engine) : nullptr;
}

const std::vector<std::string> kPrompts = {"Once upon a time, there was a little robot", "The quick brown fox",
                                           "def add(a, b):", "In the beginning"};

TEST(EngineDeepseek2Test, BatchedGreedyEqualsAloneInTheLatentForm) {
  DG_REQUIRE_SHARED_DATA(testing::SharedDataDir() + "/models/ds3mla-tiny.q8_0-kvb16.gguf");
  auto model = LoadDs3(ModelOptions::MlaPath::kLatent);
  ASSERT_TRUE(model);
  auto engine = FourSequenceEngine(*model, 5);
  ASSERT_TRUE(engine);
  std::vector<std::shared_ptr<EngineStream>> streams;
  for (const auto& p : kPrompts) {
    auto s = engine->Submit(Greedy(*model, p));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    streams.push_back(*s);
  }
  std::vector<std::vector<int32_t>> batched;
  for (auto& s : streams) {
    EngineEvent last;
    batched.push_back(DrainTokens(*s, &last));
    EXPECT_TRUE(last.status.ok()) << last.status.ToString();
  }
  engine->Shutdown(Clock::now());
  for (size_t i = 0; i < kPrompts.size(); ++i) {
    auto state = model->NewSequence(128);
    ASSERT_TRUE(state.ok());
    const EngineRequest r = Greedy(*model, kPrompts[i]);
    GenerateRequest g;
    g.prompt = r.prompt;
    g.max_tokens = r.max_tokens;
    g.sampling = r.sampling;
    g.ignore_eos = true;
    std::vector<int32_t> alone;
    ASSERT_TRUE(Generate(*model, **state, g, [&](const GenerateStep& s) {
                  alone.push_back(s.token);
                  return true;
                }).ok());
    EXPECT_EQ(batched[i], alone) << kPrompts[i];
  }
}

TEST(EngineDeepseek2Test, DefaultFormServesConcurrentStreams) {
  DG_REQUIRE_SHARED_DATA(testing::SharedDataDir() + "/models/ds3mla-tiny.q8_0-kvb16.gguf");
  auto model = LoadDs3(ModelOptions::MlaPath::kAuto);
  ASSERT_TRUE(model);
  auto engine = FourSequenceEngine(*model, 16);
  ASSERT_TRUE(engine);
  std::vector<std::shared_ptr<EngineStream>> streams;
  for (const auto& p : kPrompts) streams.push_back(*engine->Submit(Greedy(*model, p)));
  for (auto& s : streams) {
    EngineEvent last;
    EXPECT_EQ(DrainTokens(*s, &last).size(), 10u);
    EXPECT_TRUE(last.status.ok());
    EXPECT_EQ(last.completion_tokens, 10);
  }
  // Each sequence holds a latent cache: n_ctx x layers x (kv_lora_rank + rope) f16.
  EXPECT_EQ(model->info().kv_bytes_per_token, 4u * (64 + 16) * 2);
  EXPECT_EQ(engine->stats().completed, kPrompts.size());
}

}  // namespace
}  // namespace deepgate
