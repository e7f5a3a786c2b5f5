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
  // Requests taken from the request bucket: 1, or the chunk asked for (`want`) while at
  // least half the bucket remains — this request and granted - 1 to admit locally. 0 when refused.
  int64_t granted = 0;
  double requests_level = 0;  // the bucket's level after the grant
};

class RedisRateLimiter {
 public:
  RedisRateLimiter(redis::RedisPool& pool, std::string key_prefix, std::chrono::milliseconds lease)
      : pool_(pool), prefix_(std::move(key_prefix)), lease_(lease) {}

  // Unavailable when Redis cannot be asked (the caller applies the failure policy).
  // `anomaly.enabled` false: no anomaly counting. `want`: the chunk of the request budget
  // asked for (1: this request only); `unreported`: requests admitted locally from earlier
  // chunks, added to the anomaly count with this one.
  [[nodiscard]] Result<RedisDecision> Admit(const std::string& subject, const LimitSpec& spec,
                                            const std::string& lease_id, const AnomalySettings& anomaly,
                                            int64_t want = 1, int64_t unreported = 0);
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
