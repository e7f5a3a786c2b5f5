// RateLimiter: per-subject requests/min and tokens/min token buckets plus a concurrent-request
// cap, answering with OpenAI's x-ratelimit-* headers.
//
// Limits are per worker instance: each deepgate-fcgi process (deepgate@N) keeps its own
// buckets, so N instances behind one nginx admit up to N times a key's limit. Use nginx
// `limit_req` or fewer instances where a hard global cap matters.
//
// Tokens/min is charged AFTER a request with the prompt + completion tokens it really used
// (Finish), and a request is admitted while the token bucket is above zero. Reserving
// max_tokens up front would refuse most requests (max_tokens is often unset, i.e. the whole
// context) and need a refund path; charging actual usage is exact, at the cost that one
// request may overdraw the bucket — the debt then delays the key's next request.
//
// Thread-safety: all methods may be called concurrently; one mutex guards the subject map.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "fcgi/policy/clock.h"
#include "fcgi/policy/token_bucket.h"

namespace deepgate::fcgi::policy {

// A subject's limits; 0 means unlimited.
struct LimitSpec {
  int64_t requests_per_minute = 0;
  int64_t tokens_per_minute = 0;
  int max_concurrent = 0;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

struct RateDecision {
  bool admitted = true;
  std::string reason;     // refused: "requests_per_minute", "tokens_per_minute", "max_concurrent"
  int retry_after_s = 0;  // refused: whole seconds, at least 1
  Headers headers;        // x-ratelimit-* for the limits that apply (admitted or not)
};

class RateLimiter {
 public:
  // `max_subjects`: above this many tracked subjects, idle ones (nothing in flight, buckets
  // full) are forgotten, so a flood of distinct subjects cannot grow memory without bound.
  explicit RateLimiter(const MonotonicClock& clock, size_t max_subjects = 100000)
      : clock_(clock), max_subjects_(max_subjects) {}
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Checks concurrency, then tokens, then takes one request token. An admitted request holds
  // a concurrency slot until Finish.
  RateDecision Admit(const std::string& subject, const LimitSpec& spec);
  // Ends an admitted request: frees its slot and charges the tokens it used.
  void Finish(const std::string& subject, int64_t tokens_used);

  size_t tracked_subjects() const;

 private:
  struct State {
    std::unique_ptr<TokenBucket> requests;  // null: unlimited
    std::unique_ptr<TokenBucket> tokens;    // null: unlimited
    int in_flight = 0;
  };
  void Apply(State& s, const LimitSpec& spec, TimePoint now);
  void ForgetIdle(TimePoint now);  // requires mu_ held
  static Headers HeadersFor(State& s, TimePoint now);

  const MonotonicClock& clock_;
  const size_t max_subjects_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, State> subjects_;  // GUARDED_BY(mu_)
};

// Retry-After for a wait of `seconds`: whole seconds, rounded up, at least 1.
int RetryAfterSeconds(double seconds);

// OpenAI-style reset duration: "250ms", "20s", "1m30s".
std::string FormatResetDuration(double seconds);

// Appends x-ratelimit-{limit,remaining,reset}-<kind> for a bucket of `capacity` at `level`
// that is full again in `seconds_to_full`. The in-process and the Redis limiter both answer
// through this, so their headers cannot drift apart.
void AppendLimitHeaders(Headers& h, const char* kind, double capacity, double level, double seconds_to_full);

}  // namespace deepgate::fcgi::policy
