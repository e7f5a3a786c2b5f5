// Sampler: each stage on small hand-made logits, determinism, logprobs, a large vocabulary.
#include "core/sampler.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <numeric>
#include <set>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace deepgate {
namespace {

// Logits whose softmax at temperature 1 is exactly `probs`.
std::vector<float> LogitsFor(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

// Tokens drawn over `draws` calls (fresh history, advancing random sequence).
std::set<int32_t> DrawnTokens(SamplerParams params, const std::vector<float>& logits,
                              int draws = 2000) {
  Sampler sampler(params, static_cast<int32_t>(logits.size()));
  std::set<int32_t> seen;
  for (int i = 0; i < draws; ++i) seen.insert(sampler.Sample(logits.data()).token);
  return seen;
}

// Deterministic pseudo-random logits for tests (not the sampler's generator).
std::vector<float> RandomLogits(size_t n, uint64_t seed, float scale = 4.0f) {
  std::vector<float> v(n);
  uint64_t x = seed * 2654435761u + 1;
  for (float& f : v) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    f = scale * (static_cast<float>(x >> 40) / static_cast<float>(1u << 24) - 0.5f);
  }
  return v;
}

// Logprob of `token` as reported among the top alternatives.
float TopLogprob(const SampleResult& r, int32_t token) {
  for (const TokenLogprob& t : r.top) {
    if (t.token == token) return t.logprob;
  }
  ADD_FAILURE() << "token " << token << " not among top logprobs";
  return 0.0f;
}

// --- validation ------------------------------------------------------------------------------

TEST(ValidateSamplerParamsTest, DefaultsAreValid) {
  EXPECT_TRUE(ValidateSamplerParams(SamplerParams{}, 100).ok());
}

TEST(ValidateSamplerParamsTest, RejectsOutOfRangeValues) {
  auto invalid = [](auto mutate) {
    SamplerParams p;
    mutate(p);
    return ValidateSamplerParams(p, 100).code() == StatusCode::kInvalidArgument;
  };
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.temperature = 2.5f; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.temperature = -0.1f; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.temperature = NAN; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.top_p = 0.0f; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.top_p = 1.1f; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.top_k = -1; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.min_p = 1.5f; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.frequency_penalty = 2.1f; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.presence_penalty = -2.1f; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.repetition_penalty = 0.0f; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.repetition_last_n = -1; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.top_logprobs = 21; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.logit_bias = {{100, 1.0f}}; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.logit_bias = {{-1, 1.0f}}; }));
  EXPECT_TRUE(invalid([](SamplerParams& p) { p.logit_bias = {{5, 100.5f}}; }));
}

TEST(ValidateSamplerParamsTest, AcceptsRangeEnds) {
  SamplerParams p;
  p.temperature = 2.0f;
  p.top_p = 1.0f;
  p.frequency_penalty = -2.0f;
  p.presence_penalty = 2.0f;
  p.logit_bias = {{0, -100.0f}, {99, 100.0f}};
  p.top_logprobs = 20;
  EXPECT_TRUE(ValidateSamplerParams(p, 100).ok());
}

TEST(SamplerTest, CreateRejectsInvalidParams) {
  SamplerParams p;
  p.top_p = 0.0f;
  EXPECT_FALSE(Sampler::Create(p, 10).ok());
}

// --- greedy ----------------------------------------------------------------------------------

TEST(SamplerTest, GreedyIsArgmax) {
  SamplerParams p;
  p.temperature = 0.0f;
  Sampler s(p, 4);
  std::vector<float> logits = {0.1f, 2.5f, -1.0f, 2.4f};
  EXPECT_EQ(s.Sample(logits.data()).token, 1);
}

TEST(SamplerTest, GreedyTiesGoToLowestId) {
  SamplerParams p;
  p.temperature = 0.0f;
  Sampler s(p, 5);
  std::vector<float> logits = {0.0f, 3.0f, 1.0f, 3.0f, 3.0f};
  EXPECT_EQ(s.Sample(logits.data()).token, 1);
}

TEST(SamplerTest, TinyTemperatureEqualsGreedy) {
  int compared = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    std::vector<float> logits = RandomLogits(64, seed + 1, 8.0f);
    // At temperature 1e-3 a runner-up 0.05 behind has odds e^-50: never drawn. Closer
    // runners-up are legitimately drawn, so those logit sets are skipped.
    std::vector<float> sorted = logits;
    std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<float>());
    if (sorted[0] - sorted[1] < 0.05f) continue;
    ++compared;
    SamplerParams greedy;
    greedy.temperature = 0.0f;
    SamplerParams cold;
    cold.temperature = 1e-3f;
    cold.seed = seed;
    EXPECT_EQ(Sampler(cold, 64).Sample(logits.data()).token,
              Sampler(greedy, 64).Sample(logits.data()).token);
  }
  EXPECT_GE(compared, 5);
}

// --- truncation ------------------------------------------------------------------------------

TEST(SamplerTest, TopKTwoNeverPicksTheThird) {
  SamplerParams p;
  p.top_k = 2;
  EXPECT_EQ(DrawnTokens(p, LogitsFor({0.4, 0.35, 0.25})), (std::set<int32_t>{0, 1}));
}

TEST(SamplerTest, TopPKeepsSmallestSetReachingP) {
  SamplerParams p;
  p.top_p = 0.75f;  // 0.5 < 0.75 <= 0.5 + 0.3
  EXPECT_EQ(DrawnTokens(p, LogitsFor({0.5, 0.3, 0.15, 0.05})), (std::set<int32_t>{0, 1}));
  p.top_p = 0.85f;  // needs the third token
  EXPECT_EQ(DrawnTokens(p, LogitsFor({0.5, 0.3, 0.15, 0.05})), (std::set<int32_t>{0, 1, 2}));
}

TEST(SamplerTest, TopPOrdersByProbabilityNotId) {
  SamplerParams p;
  p.top_p = 0.6f;
  EXPECT_EQ(DrawnTokens(p, LogitsFor({0.05, 0.15, 0.3, 0.5})), (std::set<int32_t>{2, 3}));
}

TEST(SamplerTest, MinPDropsTokensBelowFractionOfBest) {
  SamplerParams p;
  p.min_p = 0.2f;  // threshold 0.2 * 0.5 = 0.1
  EXPECT_EQ(DrawnTokens(p, LogitsFor({0.5, 0.3, 0.15, 0.05})), (std::set<int32_t>{0, 1, 2}));
}

TEST(SamplerTest, NoTruncationCanPickAnyToken) {
  EXPECT_EQ(DrawnTokens(SamplerParams{}, LogitsFor({0.4, 0.3, 0.2, 0.1})),
            (std::set<int32_t>{0, 1, 2, 3}));
}

TEST(SamplerTest, DrawFrequenciesFollowTheDistribution) {
  Sampler s(SamplerParams{}, 2);
  std::vector<float> logits = LogitsFor({0.8, 0.2});
  int zeros = 0;
  for (int i = 0; i < 10000; ++i) zeros += s.Sample(logits.data()).token == 0;
  EXPECT_NEAR(zeros / 10000.0, 0.8, 0.02);
}

// --- penalties and bias (read back through the temperature-1 logprobs) ----------------------

TEST(SamplerTest, FrequencyAndPresencePenaltiesSubtractExactly) {
  SamplerParams p;
  p.frequency_penalty = 0.5f;
  p.presence_penalty = 0.25f;
  p.top_logprobs = 4;
  Sampler s(p, 4);
  for (int32_t t : {1, 1, 2}) s.Accept(t);
  std::vector<float> logits(4, 0.0f);
  SampleResult r = s.Sample(logits.data());
  // token 1: -(2 * 0.5 + 0.25) = -1.25; token 2: -(0.5 + 0.25) = -0.75; 0 and 3 untouched.
  EXPECT_NEAR(TopLogprob(r, 1) - TopLogprob(r, 0), -1.25f, 1e-5f);
  EXPECT_NEAR(TopLogprob(r, 2) - TopLogprob(r, 0), -0.75f, 1e-5f);
  EXPECT_NEAR(TopLogprob(r, 3) - TopLogprob(r, 0), 0.0f, 1e-5f);
}

TEST(SamplerTest, RepetitionPenaltyDividesPositiveAndMultipliesNegative) {
  SamplerParams p;
  p.repetition_penalty = 2.0f;
  p.top_logprobs = 4;
  Sampler s(p, 4);
  s.Accept(0);
  s.Accept(1);
  s.Accept(1);  // counted once: the repetition penalty is not per occurrence
  std::vector<float> logits = {2.0f, -2.0f, 1.0f, 0.0f};
  SampleResult r = s.Sample(logits.data());
  // Adjusted: {1, -4, 1, 0}.
  EXPECT_NEAR(TopLogprob(r, 0) - TopLogprob(r, 3), 1.0f, 1e-5f);
  EXPECT_NEAR(TopLogprob(r, 1) - TopLogprob(r, 3), -4.0f, 1e-5f);
  EXPECT_NEAR(TopLogprob(r, 2) - TopLogprob(r, 3), 1.0f, 1e-5f);
}

TEST(SamplerTest, PenaltiesOnlySeeTheLastNTokens) {
  SamplerParams p;
  p.presence_penalty = 1.0f;
  p.repetition_last_n = 2;
  p.top_logprobs = 3;
  Sampler s(p, 3);
  for (int32_t t : {0, 1, 2}) s.Accept(t);  // 0 has left the window
  std::vector<float> logits(3, 0.0f);
  SampleResult r = s.Sample(logits.data());
  EXPECT_NEAR(TopLogprob(r, 1) - TopLogprob(r, 0), -1.0f, 1e-5f);
  EXPECT_NEAR(TopLogprob(r, 2) - TopLogprob(r, 0), -1.0f, 1e-5f);
}

TEST(SamplerTest, LogitBiasIsAdded) {
  SamplerParams p;
  p.logit_bias = {{2, 1.5f}};
  p.top_logprobs = 3;
  Sampler s(p, 3);
  std::vector<float> logits(3, 0.0f);
  SampleResult r = s.Sample(logits.data());
  EXPECT_NEAR(TopLogprob(r, 2) - TopLogprob(r, 0), 1.5f, 1e-5f);
}

TEST(SamplerTest, LogitBiasMinus100BansToken) {
  SamplerParams p;
  p.logit_bias = {{1, -100.0f}};
  EXPECT_EQ(DrawnTokens(p, {0.0f, 5.0f, 0.0f}), (std::set<int32_t>{0, 2}));
}

TEST(SamplerTest, LogitBiasMinus100BansTokenForGreedy) {
  SamplerParams p;
  p.temperature = 0.0f;
  p.logit_bias = {{1, -100.0f}};
  Sampler s(p, 3);
  std::vector<float> logits = {0.0f, 500.0f, 0.5f};
  EXPECT_EQ(s.Sample(logits.data()).token, 2);
}

TEST(SamplerTest, ResetForgetsHistory) {
  SamplerParams p;
  p.presence_penalty = 2.0f;
  p.temperature = 0.0f;
  Sampler s(p, 2);
  std::vector<float> logits = {1.0f, 0.0f};
  s.Accept(0);
  EXPECT_EQ(s.Sample(logits.data()).token, 1);
  s.Reset();
  EXPECT_EQ(s.Sample(logits.data()).token, 0);
}

// --- determinism -----------------------------------------------------------------------------

std::vector<int32_t> Generate(uint64_t seed, int steps) {
  SamplerParams p;
  p.seed = seed;
  p.top_k = 50;
  p.top_p = 0.95f;
  Sampler s(p, 500);
  std::vector<int32_t> out;
  for (int i = 0; i < steps; ++i) {
    std::vector<float> logits = RandomLogits(500, i + 7, 2.0f);
    out.push_back(s.Sample(logits.data()).token);
    s.Accept(out.back());
  }
  return out;
}

TEST(SamplerTest, SameSeedSameTokens) { EXPECT_EQ(Generate(42, 100), Generate(42, 100)); }

TEST(SamplerTest, DifferentSeedsDiffer) { EXPECT_NE(Generate(1, 100), Generate(2, 100)); }

TEST(SamplerTest, ResetRestartsTheRandomSequence) {
  SamplerParams p;
  p.seed = 9;
  Sampler s(p, 300);
  std::vector<float> logits = RandomLogits(300, 3, 1.0f);
  std::vector<int32_t> first, second;
  for (int i = 0; i < 20; ++i) first.push_back(s.Sample(logits.data()).token);
  s.Reset();
  for (int i = 0; i < 20; ++i) second.push_back(s.Sample(logits.data()).token);
  EXPECT_EQ(first, second);
}

// Pins the generator: a change of PRNG or draw order would silently change every seeded
// completion, so it must show up here.
TEST(SamplerTest, SeededSequenceIsPinned) {
  SamplerParams p;
  p.seed = 1234;
  Sampler s(p, 8);
  std::vector<float> logits(8, 0.0f);
  std::vector<int32_t> got;
  for (int i = 0; i < 12; ++i) got.push_back(s.Sample(logits.data()).token);
  Sampler again(p, 8);
  std::vector<int32_t> twice;
  for (int i = 0; i < 12; ++i) twice.push_back(again.Sample(logits.data()).token);
  EXPECT_EQ(got, twice);
  EXPECT_EQ(got, (std::vector<int32_t>{0, 6, 5, 6, 0, 7, 3, 1, 4, 5, 4, 1}));
}

// --- logprobs --------------------------------------------------------------------------------

TEST(SamplerTest, LogprobsSumToOneInProbabilitySpace) {
  SamplerParams p;
  p.top_logprobs = 20;
  Sampler s(p, 20);
  std::vector<float> logits = RandomLogits(20, 5);
  SampleResult r = s.Sample(logits.data());
  ASSERT_EQ(r.top.size(), 20u);
  double sum = 0.0;
  for (const TokenLogprob& t : r.top) sum += std::exp(t.logprob);
  EXPECT_NEAR(sum, 1.0, 1e-5);
}

TEST(SamplerTest, TopLogprobsAreBestFirstAndIncludeChosenValue) {
  SamplerParams p;
  p.top_logprobs = 3;
  p.temperature = 0.0f;
  Sampler s(p, 5);
  std::vector<float> logits = {0.0f, 3.0f, 1.0f, 2.0f, 1.0f};
  SampleResult r = s.Sample(logits.data());
  ASSERT_EQ(r.top.size(), 3u);
  EXPECT_EQ(r.top[0].token, 1);
  EXPECT_EQ(r.top[1].token, 3);
  EXPECT_EQ(r.top[2].token, 2);  // tie with 4: lower id first
  EXPECT_FLOAT_EQ(r.logprob, r.top[0].logprob);
}

TEST(SamplerTest, LogprobIgnoresTemperature) {
  std::vector<float> logits = LogitsFor({0.5, 0.5});
  SamplerParams p;
  p.temperature = 0.3f;
  Sampler s(p, 2);
  EXPECT_NEAR(s.Sample(logits.data()).logprob, std::log(0.5f), 1e-5f);
}

// logprobs = false skips the normaliser: the same tokens from the same seed (greedy and
// drawn), logprob 0 and no alternatives even when top_logprobs is set.
TEST(SamplerTest, WithoutLogprobsTheSameTokensAndNoLogprobs) {
  std::mt19937 rng(5);
  std::normal_distribution<float> dist(0.0f, 2.0f);
  for (float temperature : {0.0f, 0.9f}) {
    SamplerParams with, without;
    with.temperature = without.temperature = temperature;
    with.top_p = without.top_p = 0.9f;
    with.seed = without.seed = 11;
    with.top_logprobs = without.top_logprobs = 3;
    without.logprobs = false;
    Sampler a(with, 1000), b(without, 1000);
    for (int step = 0; step < 50; ++step) {
      std::vector<float> logits(1000);
      for (float& v : logits) v = dist(rng);
      const SampleResult ra = a.Sample(logits.data()), rb = b.Sample(logits.data());
      ASSERT_EQ(ra.token, rb.token) << "temperature " << temperature << " step " << step;
      EXPECT_LT(ra.logprob, 0.0f);
      EXPECT_EQ(ra.top.size(), 3u);
      EXPECT_EQ(rb.logprob, 0.0f);
      EXPECT_TRUE(rb.top.empty());
      a.Accept(ra.token);
      b.Accept(rb.token);
    }
  }
}

TEST(SamplerTest, NoTopLogprobsByDefault) {
  Sampler s(SamplerParams{}, 3);
  std::vector<float> logits = {0.0f, 1.0f, 2.0f};
  EXPECT_TRUE(s.Sample(logits.data()).top.empty());
}

// --- large vocabulary ------------------------------------------------------------------------

// Brute force: the top-p nucleus by full sort, compared with what the sampler draws.
TEST(SamplerTest, TopPOnLargeVocabularyStaysInNucleus) {
  const int32_t n = 151936;
  std::vector<float> logits = RandomLogits(n, 11, 12.0f);
  const float top_p = 0.9f;
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  });
  double total = 0.0;
  for (float l : logits) total += std::exp(double(l) - logits[order[0]]);
  std::set<int32_t> nucleus;
  double mass = 0.0;
  for (int32_t t : order) {
    nucleus.insert(t);
    mass += std::exp(double(logits[t]) - logits[order[0]]);
    if (mass >= top_p * total) break;
  }
  ASSERT_GT(nucleus.size(), 100u);  // the test is only interesting for a wide nucleus

  SamplerParams p;
  p.top_p = top_p;
  Sampler s(p, n);
  for (int i = 0; i < 50; ++i) {
    int32_t t = s.Sample(logits.data()).token;
    ASSERT_TRUE(nucleus.count(t)) << "token " << t << " outside the nucleus";
  }
}

TEST(SamplerTest, NanLogitsAreNeverChosen) {
  SamplerParams p;
  std::vector<float> logits = {NAN, 0.0f, NAN};
  EXPECT_EQ(DrawnTokens(p, logits, 200), (std::set<int32_t>{1}));
}

}  // namespace
}  // namespace deepgate
