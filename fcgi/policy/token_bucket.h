// TokenBucket: `capacity` tokens, refilled continuously at `per_second`. Requests take one
// token each; generated tokens are charged after the fact and may drive the level below zero
// (debt), which then has to refill before the next request is admitted.
// Thread-safety: none; RateLimiter guards each bucket with its own mutex.
#pragma once

#include "fcgi/policy/clock.h"

namespace deepgate::fcgi::policy {

class TokenBucket {
 public:
  TokenBucket(double capacity, double per_second, TimePoint now)
      : capacity_(capacity), per_second_(per_second), level_(capacity), last_(now) {}

  double capacity() const { return capacity_; }
  double Level(TimePoint now);
  // Takes n tokens when at least n are there; false (and nothing taken) otherwise.
  bool TryTake(double n, TimePoint now);
  // Takes n tokens unconditionally; the level may go negative.
  void Charge(double n, TimePoint now);
  // Seconds until the level reaches `n` (0 when it already has); capped at what a full
  // refill from the current level can give.
  double SecondsUntil(double n, TimePoint now);
  double SecondsUntilFull(TimePoint now) { return SecondsUntil(capacity_, now); }
  // New limits keep the current level, clamped to the new capacity.
  void Resize(double capacity, double per_second, TimePoint now);

 private:
  void Refill(TimePoint now);

  double capacity_;
  double per_second_;
  double level_;
  TimePoint last_;
};

}  // namespace deepgate::fcgi::policy
