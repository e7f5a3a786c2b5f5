// AuthFailureLimiter: failed credentials per client address. Every failed authentication
// (unknown key, wrong secret, bad token, failed token exchange) takes one token from the
// address's bucket (capacity = the per-minute limit, refilled continuously); while it is
// empty the address may not present credentials at all — 429 before authentication, so a
// client cannot test stolen or guessed keys faster than the limit allows, and the key store
// is not even asked. Successful requests cost nothing.
// Thread-safety: every method may be called from any thread (one mutex).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "fcgi/policy/clock.h"
#include "fcgi/policy/token_bucket.h"

namespace deepgate::fcgi::policy {

class AuthFailureLimiter {
 public:
  // Above max_addresses tracked addresses, full (forgiven) buckets are forgotten.
  explicit AuthFailureLimiter(const MonotonicClock& clock, size_t max_addresses = 100000)
      : clock_(clock), max_addresses_(max_addresses) {}
  AuthFailureLimiter(const AuthFailureLimiter&) = delete;
  AuthFailureLimiter& operator=(const AuthFailureLimiter&) = delete;

  // Whether `address` may present credentials now (per_minute 0: always). When not,
  // *retry_after_s says when it may again (whole seconds, at least 1).
  bool Allows(const std::string& address, int64_t per_minute, int* retry_after_s);
  // One failed authentication from `address`.
  void NoteFailure(const std::string& address, int64_t per_minute);

 private:
  TokenBucket& Bucket(const std::string& address, int64_t per_minute, TimePoint now);  // requires mu_

  const MonotonicClock& clock_;
  const size_t max_addresses_;
  std::mutex mu_;
  std::unordered_map<std::string, TokenBucket> buckets_;  // GUARDED_BY(mu_)
};

}  // namespace deepgate::fcgi::policy
