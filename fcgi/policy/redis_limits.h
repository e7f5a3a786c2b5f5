// RedisLimits: Limits shared by all workers of all hosts through Redis (RedisRateLimiter:
// one script per request for the anomaly count and the limits; leases kept alive by a
// LeaseRenewer), with the failure policy applied
// when Redis cannot answer within its timeout:
//   kFailClosed — the request is refused 503 limits_unavailable (LimitVerdict::unavailable);
//   kLocal      — this worker decides alone with its own LocalLimits (per-worker limits, so N
//                 workers admit up to N × a key's limit while Redis is down).
// Either way BackendHealth records the outage (journal backend_degraded once, a metric) and
// the recovery; the pool retries Redis with backoff, so limits are global again within about
// a second of Redis coming back. A request admitted locally is finished locally, one admitted
// through Redis is finished in Redis (its lease says which).
// Consistency: a script that timed out may still have run on the server; the token it took
// is spent and its lease, never renewed, expires after one lease period.
// Thread-safety: every method from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>

#include "fcgi/policy/lease_renewer.h"
#include "fcgi/policy/limits.h"
#include "fcgi/policy/redis_rate_limiter.h"
#include "fcgi/audit/backend_health.h"

namespace deepgate::fcgi::policy {

enum class BackendFailure { kFailClosed, kLocal };

struct RedisLimitsOptions {
  std::string key_prefix = "deepgate:";
  std::chrono::milliseconds lease{30000};
  BackendFailure on_failure = BackendFailure::kFailClosed;
};

class RedisLimits final : public Limits {
 public:
  RedisLimits(redis::RedisPool& pool, audit::BackendHealth& health, const MonotonicClock& clock,
              const AnomalySettings& settings, const RedisLimitsOptions& options);

  LimitVerdict Admit(const std::string& subject, const LimitSpec& spec) override;
  void Finish(const std::string& subject, const LimitSpec& spec, const std::string& lease, int64_t tokens_used) override;
  void Configure(const AnomalySettings& settings) override;
  uint64_t anomalies() const override { return alerts_.load(std::memory_order_relaxed) + local_.anomalies(); }

  size_t live_leases() const { return renewer_.live(); }

 private:
  std::string NewLeaseId();

  audit::BackendHealth& health_;
  const BackendFailure on_failure_;
  RedisRateLimiter limiter_;
  LocalLimits local_;
  LeaseRenewer renewer_;
  const std::string lease_prefix_;  // random per process: lease ids of two workers never collide
  std::atomic<uint64_t> next_lease_{0};
  std::atomic<uint64_t> alerts_{0};
  mutable std::mutex mu_;
  AnomalySettings settings_;  // GUARDED_BY(mu_)
};

}  // namespace deepgate::fcgi::policy
