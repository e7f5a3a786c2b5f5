#include "fcgi/policy/auth_failure_limiter.h"

#include <cmath>

namespace deepgate::fcgi::policy {

TokenBucket& AuthFailureLimiter::Bucket(const std::string& address, int64_t per_minute, TimePoint now) {
  const double capacity = static_cast<double>(per_minute);
  auto it = buckets_.find(address);
  if (it != buckets_.end()) {
    it->second.Resize(capacity, capacity / 60.0, now);
    return it->second;
  }
  if (buckets_.size() >= max_addresses_) {
    for (auto i = buckets_.begin(); i != buckets_.end();) {
      if (i->second.Level(now) >= i->second.capacity()) i = buckets_.erase(i);
      else ++i;
    }
  }
  return buckets_.emplace(address, TokenBucket(capacity, capacity / 60.0, now)).first->second;
}

bool AuthFailureLimiter::Allows(const std::string& address, int64_t per_minute, int* retry_after_s) {
  if (per_minute <= 0) return true;
  const TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  auto it = buckets_.find(address);
  if (it == buckets_.end()) return true;  // no failure yet
  TokenBucket& b = Bucket(address, per_minute, now);
  if (b.Level(now) >= 1.0) return true;
  *retry_after_s = std::max(1, static_cast<int>(std::ceil(b.SecondsUntil(1.0, now))));
  return false;
}

void AuthFailureLimiter::NoteFailure(const std::string& address, int64_t per_minute) {
  if (per_minute <= 0) return;
  const TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> lock(mu_);
  Bucket(address, per_minute, now).Charge(1.0, now);
}

}  // namespace deepgate::fcgi::policy
