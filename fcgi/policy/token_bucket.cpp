#include "fcgi/policy/token_bucket.h"

#include <algorithm>

namespace deepgate::fcgi::policy {

void TokenBucket::Refill(TimePoint now) {
  if (now <= last_) return;  // a clock that stands still (or a racing caller) adds nothing
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  level_ = std::min(capacity_, level_ + elapsed * per_second_);
  last_ = now;
}

double TokenBucket::Level(TimePoint now) {
  Refill(now);
  return level_;
}

bool TokenBucket::TryTake(double n, TimePoint now) {
  Refill(now);
  if (level_ < n) return false;
  level_ -= n;
  return true;
}

void TokenBucket::Charge(double n, TimePoint now) {
  Refill(now);
  level_ -= n;
}

double TokenBucket::SecondsUntil(double n, TimePoint now) {
  Refill(now);
  const double target = std::min(n, capacity_);
  if (level_ >= target || per_second_ <= 0) return 0;
  return (target - level_) / per_second_;
}

void TokenBucket::Resize(double capacity, double per_second, TimePoint now) {
  Refill(now);
  capacity_ = capacity;
  per_second_ = per_second;
  level_ = std::min(level_, capacity_);
}

}  // namespace deepgate::fcgi::policy
