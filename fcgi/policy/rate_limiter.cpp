#include "fcgi/policy/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace deepgate::fcgi::policy {
namespace {

// A bucket per limit: a full minute's worth of burst, refilled evenly over the minute.
void Fit(std::unique_ptr<TokenBucket>& bucket, int64_t per_minute, TimePoint now) {
  if (per_minute <= 0) {
    bucket.reset();
    return;
  }
  const double cap = static_cast<double>(per_minute);
  if (!bucket) bucket = std::make_unique<TokenBucket>(cap, cap / 60.0, now);
  else if (bucket->capacity() != cap) bucket->Resize(cap, cap / 60.0, now);
}

}  // namespace

int RetryAfterSeconds(double seconds) { return std::max(1, static_cast<int>(std::ceil(seconds))); }

std::string FormatResetDuration(double seconds) {
  if (seconds <= 0) return "0s";
  if (seconds < 1) return std::to_string(std::max(1, static_cast<int>(std::ceil(seconds * 1000)))) + "ms";
  const int64_t s = static_cast<int64_t>(std::ceil(seconds));
  if (s < 60) return std::to_string(s) + "s";
  return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
}

void RateLimiter::Apply(State& s, const LimitSpec& spec, TimePoint now) {
  Fit(s.requests, spec.requests_per_minute, now);
  Fit(s.tokens, spec.tokens_per_minute, now);
}

void AppendLimitHeaders(Headers& h, const char* kind, double capacity, double level, double seconds_to_full) {
  const int64_t remaining = std::max<int64_t>(0, static_cast<int64_t>(std::floor(level)));
  h.emplace_back(std::string("x-ratelimit-limit-") + kind, std::to_string(static_cast<int64_t>(capacity)));
  h.emplace_back(std::string("x-ratelimit-remaining-") + kind, std::to_string(remaining));
  h.emplace_back(std::string("x-ratelimit-reset-") + kind, FormatResetDuration(seconds_to_full));
}

Headers RateLimiter::HeadersFor(State& s, TimePoint now) {
  Headers h;
  auto add = [&](TokenBucket* b, const char* kind) {
    if (b != nullptr) AppendLimitHeaders(h, kind, b->capacity(), b->Level(now), b->SecondsUntilFull(now));
  };
  add(s.requests.get(), "requests");
  add(s.tokens.get(), "tokens");
  return h;
}

RateDecision RateLimiter::Admit(const std::string& subject, const LimitSpec& spec) {
  const TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  if (subjects_.size() >= max_subjects_) ForgetIdle(now);
  State& s = subjects_[subject];
  Apply(s, spec, now);
  RateDecision d;
  if (spec.max_concurrent > 0 && s.in_flight >= spec.max_concurrent) {
    d.admitted = false;
    d.reason = "max_concurrent";
    d.retry_after_s = 1;  // a slot frees when any running request ends: no better estimate
  } else if (s.tokens && s.tokens->Level(now) <= 0) {
    d.admitted = false;
    d.reason = "tokens_per_minute";
    d.retry_after_s = RetryAfterSeconds(s.tokens->SecondsUntil(1, now));
  } else if (s.requests && !s.requests->TryTake(1, now)) {
    d.admitted = false;
    d.reason = "requests_per_minute";
    d.retry_after_s = RetryAfterSeconds(s.requests->SecondsUntil(1, now));
  } else {
    ++s.in_flight;
  }
  d.headers = HeadersFor(s, now);
  return d;
}

void RateLimiter::Finish(const std::string& subject, int64_t tokens_used) {
  const TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = subjects_.find(subject);
  if (it == subjects_.end()) return;
  State& s = it->second;
  if (s.in_flight > 0) --s.in_flight;
  if (s.tokens && tokens_used > 0) s.tokens->Charge(static_cast<double>(tokens_used), now);
}

void RateLimiter::ForgetIdle(TimePoint now) {
  auto full = [&](TokenBucket* b) { return b == nullptr || b->Level(now) >= b->capacity(); };
  for (auto it = subjects_.begin(); it != subjects_.end();) {
    State& s = it->second;
    if (s.in_flight == 0 && full(s.requests.get()) && full(s.tokens.get())) it = subjects_.erase(it);
    else ++it;
  }
}

size_t RateLimiter::tracked_subjects() const {
  std::lock_guard<std::mutex> lock(mu_);
  return subjects_.size();
}

}  // namespace deepgate::fcgi::policy
