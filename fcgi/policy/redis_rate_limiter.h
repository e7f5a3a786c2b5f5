// RedisRateLimiter: the same requests/min, tokens/min and concurrency limits as RateLimiter,
// and the same anomaly rule as AnomalyDetector, but with the state in Redis, so every worker
// on every host draws from one set of buckets and counts per subject. A request's decision
// (anomaly count, then the limits) is one script (fcgi/policy/redis_limit_scripts.h), one
// round trip, atomic on the server; the answer (refusal reason, Retry-After,
// x-ratelimit-* headers) is built exactly as the in-process limiter builds it.
//
// Concurrency is a set of leases per subject, each with an expiry: an admitted request adds
// its lease id, Finish removes it, and Renew pushes a running request's expiry out (the
// LeaseRenewer does so for every live lease). A worker that dies mid-request stops renewing,
// and its slot frees itself when the lease expires: no slot leaks.
//
// Keys: <prefix>{<subject>}:rq / :tk / :ls / :an (request bucket, token bucket, leases,
// anomaly minute counts) — one hash tag per subject, so a Redis Cluster keeps each script's keys on one node.
// Thread-safety: every method from any thread (the pool serialises connections).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "fcgi/policy/anomaly_detector.h"
#include "fcgi/policy/rate_limiter.h"
#include "fcgi/redis/redis_pool.h"

namespace deepgate::fcgi::policy {

struct RedisDecision {
  RateDecision decision;
  std::optional<AnomalyAlert> alert;  // this request tipped its subject's minute over the line
};

class RedisRateLimiter {
 public:
  RedisRateLimiter(redis::RedisPool& pool, std::string key_prefix, std::chrono::milliseconds lease)
      : pool_(pool), prefix_(std::move(key_prefix)), lease_(lease) {}

  // Unavailable when Redis cannot be asked (the caller applies the failure policy).
  // `anomaly.enabled` false: no anomaly counting.
  [[nodiscard]] Result<RedisDecision> Admit(const std::string& subject, const LimitSpec& spec,
                                            const std::string& lease_id, const AnomalySettings& anomaly);
  [[nodiscard]] Status Finish(const std::string& subject, const LimitSpec& spec, const std::string& lease_id,
                              int64_t tokens_used);
  // How many of `lease_ids` were still held (and are now extended by one lease period).
  [[nodiscard]] Result<int64_t> Renew(const std::string& subject, const std::vector<std::string>& lease_ids);

  std::chrono::milliseconds lease() const { return lease_; }

 private:
  std::string Key(const std::string& subject, const char* kind) const;

  redis::RedisPool& pool_;
  const std::string prefix_;
  const std::chrono::milliseconds lease_;
};

}  // namespace deepgate::fcgi::policy
