// Token buckets, the per-subject rate limiter (requests/min, tokens/min, concurrency) and its
// x-ratelimit-* headers, all on a hand-driven clock.
#include <gtest/gtest.h>

#include "fcgi/policy/rate_limiter.h"
#include "fcgi/policy/token_bucket.h"

namespace deepgate::fcgi::policy {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string HeaderValue(const Headers& h, const std::string& name) {
  for (const auto& [n, v] : h)
    if (n == name) return v;
  return "<absent>";
}

TEST(TokenBucket, StartsFullAndRefusesWhenEmpty) {
  ManualClock clock;
  TokenBucket b(3, 1, clock.Now());
  EXPECT_TRUE(b.TryTake(1, clock.Now()));
  EXPECT_TRUE(b.TryTake(1, clock.Now()));
  EXPECT_TRUE(b.TryTake(1, clock.Now()));
  EXPECT_FALSE(b.TryTake(1, clock.Now()));
}

TEST(TokenBucket, RefillsAtItsRateUpToCapacity) {
  ManualClock clock;
  TokenBucket b(10, 2, clock.Now());  // 2 tokens/s
  b.Charge(10, clock.Now());
  clock.Advance(milliseconds(1500));
  EXPECT_DOUBLE_EQ(b.Level(clock.Now()), 3);
  clock.Advance(seconds(100));
  EXPECT_DOUBLE_EQ(b.Level(clock.Now()), 10);  // never above capacity
}

TEST(TokenBucket, ChargeCanGoIntoDebt) {
  ManualClock clock;
  TokenBucket b(100, 10, clock.Now());
  b.Charge(150, clock.Now());
  EXPECT_DOUBLE_EQ(b.Level(clock.Now()), -50);
  EXPECT_DOUBLE_EQ(b.SecondsUntil(1, clock.Now()), 5.1);
}

TEST(TokenBucket, SecondsUntilIsZeroWhenAvailable) {
  ManualClock clock;
  TokenBucket b(5, 1, clock.Now());
  EXPECT_EQ(b.SecondsUntil(1, clock.Now()), 0);
  b.Charge(5, clock.Now());
  EXPECT_DOUBLE_EQ(b.SecondsUntil(1, clock.Now()), 1);
  EXPECT_DOUBLE_EQ(b.SecondsUntilFull(clock.Now()), 5);
}

TEST(TokenBucket, ResizeKeepsLevelClampedToNewCapacity) {
  ManualClock clock;
  TokenBucket b(100, 1, clock.Now());
  b.Resize(10, 1, clock.Now());
  EXPECT_DOUBLE_EQ(b.Level(clock.Now()), 10);
}

TEST(RateLimiter, BurstOfOneMinuteThenRefusedWithRetryAfter) {
  ManualClock clock;
  RateLimiter limiter(clock);
  const LimitSpec spec{3, 0, 0};  // 3/min: one token every 20 s
  for (int i = 0; i < 3; ++i) {
    RateDecision d = limiter.Admit("k", spec);
    ASSERT_TRUE(d.admitted) << i;
    limiter.Finish("k", 0);
  }
  RateDecision d = limiter.Admit("k", spec);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.reason, "requests_per_minute");
  EXPECT_EQ(d.retry_after_s, 20);
  clock.Advance(seconds(15));
  EXPECT_EQ(limiter.Admit("k", spec).retry_after_s, 5);
  clock.Advance(seconds(5));
  EXPECT_TRUE(limiter.Admit("k", spec).admitted);
}

TEST(RateLimiter, RetryAfterRoundsUpToWholeSeconds) {
  ManualClock clock;
  RateLimiter limiter(clock);
  const LimitSpec spec{7, 0, 0};  // a token every 8.57 s
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(limiter.Admit("k", spec).admitted);
  EXPECT_EQ(limiter.Admit("k", spec).retry_after_s, 9);
}

TEST(RateLimiter, SubjectsHaveSeparateBuckets) {
  ManualClock clock;
  RateLimiter limiter(clock);
  const LimitSpec spec{1, 0, 0};
  EXPECT_TRUE(limiter.Admit("a", spec).admitted);
  EXPECT_FALSE(limiter.Admit("a", spec).admitted);
  EXPECT_TRUE(limiter.Admit("b", spec).admitted);
}

TEST(RateLimiter, ZeroMeansUnlimitedAndSendsNoHeaders) {
  ManualClock clock;
  RateLimiter limiter(clock);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Admit("k", LimitSpec{}).admitted);
  EXPECT_TRUE(limiter.Admit("k", LimitSpec{}).headers.empty());
}

TEST(RateLimiter, ConcurrencyCapHoldsUntilFinish) {
  ManualClock clock;
  RateLimiter limiter(clock);
  const LimitSpec spec{0, 0, 2};
  EXPECT_TRUE(limiter.Admit("k", spec).admitted);
  EXPECT_TRUE(limiter.Admit("k", spec).admitted);
  RateDecision d = limiter.Admit("k", spec);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.reason, "max_concurrent");
  EXPECT_EQ(d.retry_after_s, 1);
  limiter.Finish("k", 0);
  EXPECT_TRUE(limiter.Admit("k", spec).admitted);
}

TEST(RateLimiter, RefusedRequestDoesNotHoldASlot) {
  ManualClock clock;
  RateLimiter limiter(clock);
  const LimitSpec spec{1, 0, 1};
  EXPECT_TRUE(limiter.Admit("k", spec).admitted);
  limiter.Finish("k", 0);
  EXPECT_FALSE(limiter.Admit("k", spec).admitted);  // out of requests
  clock.Advance(seconds(60));
  EXPECT_TRUE(limiter.Admit("k", spec).admitted);   // the refusal took no slot
}

TEST(RateLimiter, TokensAreChargedAfterTheRequestAndBlockTheNext) {
  ManualClock clock;
  RateLimiter limiter(clock);
  const LimitSpec spec{0, 600, 0};  // 10 tokens/s
  ASSERT_TRUE(limiter.Admit("k", spec).admitted);
  limiter.Finish("k", 700);  // overdraws by 100
  RateDecision d = limiter.Admit("k", spec);
  EXPECT_FALSE(d.admitted);
  EXPECT_EQ(d.reason, "tokens_per_minute");
  EXPECT_EQ(d.retry_after_s, 11);  // (100 + 1) / 10 s
  clock.Advance(seconds(11));
  EXPECT_TRUE(limiter.Admit("k", spec).admitted);
}

TEST(RateLimiter, HeadersFollowOpenAINames) {
  ManualClock clock;
  RateLimiter limiter(clock);
  const LimitSpec spec{60, 1000, 0};
  RateDecision d = limiter.Admit("k", spec);
  EXPECT_EQ(HeaderValue(d.headers, "x-ratelimit-limit-requests"), "60");
  EXPECT_EQ(HeaderValue(d.headers, "x-ratelimit-remaining-requests"), "59");
  EXPECT_EQ(HeaderValue(d.headers, "x-ratelimit-reset-requests"), "1s");
  EXPECT_EQ(HeaderValue(d.headers, "x-ratelimit-limit-tokens"), "1000");
  EXPECT_EQ(HeaderValue(d.headers, "x-ratelimit-remaining-tokens"), "1000");
  EXPECT_EQ(HeaderValue(d.headers, "x-ratelimit-reset-tokens"), "0s");
}

TEST(RateLimiter, ChangedLimitsApplyToExistingSubjects) {
  ManualClock clock;
  RateLimiter limiter(clock);
  EXPECT_TRUE(limiter.Admit("k", LimitSpec{100, 0, 0}).admitted);
  RateDecision d = limiter.Admit("k", LimitSpec{2, 0, 0});
  EXPECT_TRUE(d.admitted);
  EXPECT_EQ(HeaderValue(d.headers, "x-ratelimit-limit-requests"), "2");  // level 99 clamped to 2, one taken
  EXPECT_TRUE(limiter.Admit("k", LimitSpec{2, 0, 0}).admitted);
  EXPECT_FALSE(limiter.Admit("k", LimitSpec{2, 0, 0}).admitted);
}

TEST(RateLimiter, ForgetsIdleSubjectsBeyondTheCap) {
  ManualClock clock;
  RateLimiter limiter(clock, 4);
  for (int i = 0; i < 10; ++i) {
    const std::string subject = std::to_string(i);  // ("s" + to_string trips GCC 12's -Wrestrict)
    ASSERT_TRUE(limiter.Admit(subject, LimitSpec{0, 0, 0}).admitted);
    limiter.Finish(subject, 0);
  }
  EXPECT_LE(limiter.tracked_subjects(), 4u);
}

TEST(RateLimiter, FormatResetDuration) {
  EXPECT_EQ(FormatResetDuration(0), "0s");
  EXPECT_EQ(FormatResetDuration(0.25), "250ms");
  EXPECT_EQ(FormatResetDuration(20), "20s");
  EXPECT_EQ(FormatResetDuration(90), "1m30s");
  EXPECT_EQ(FormatResetDuration(19.2), "20s");
}

}  // namespace
}  // namespace deepgate::fcgi::policy
