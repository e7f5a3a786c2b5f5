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
//
// Budget chunks: a key with a requests/min limit of at least 1200 (20 requests a second: the
// only keys whose own rate can make a round trip per request matter) and no concurrency cap
// asks Redis for a chunk of its request budget — rpm / 600 requests, at most 64 — and admits
// the rest of the chunk locally for up to kChunkLifetime. Redis grants a chunk only while at
// least half of the key's request bucket would remain and at least half of its token bucket
// does, so near either limit every request is one script, as without chunks. Requests:
// nothing is ever admitted that was not taken from the shared bucket, so the global limit
// holds exactly; a chunk left unspent when it expires is lost (up to chunk - 1 requests per
// worker per second, only while half the budget is left). Tokens: each request's tokens are
// charged when it ends, as always; requests admitted from a chunk are not checked against
// the token bucket again within the chunk's second.
//
// Keys without limits (anomaly detection on) need Redis only for the anomaly count: the first
// request of a key in each kChunkLifetime makes the round trip, the rest of that second are
// admitted and counted in the worker. Every request counted locally — from a chunk or such
// a counting window — reaches the shared count with the key's next call, or, when the key
// goes quiet, with a flush once its window has ended (a thread, every half lifetime): the
// count is late by at most about 1.5 s, never lost. An alert raised by a flush has no request
// of its own: it is counted in anomalies() at once and travels with this worker's next
// admission for that key (the journal's anomaly event is written with that request).
// Thread-safety: every method from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

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
  ~RedisLimits() override;  // stops the flush thread (counts not yet flushed are dropped)
  RedisLimits(const RedisLimits&) = delete;
  RedisLimits& operator=(const RedisLimits&) = delete;

  LimitVerdict Admit(const std::string& subject, const LimitSpec& spec) override;
  void Finish(const std::string& subject, const LimitSpec& spec, const std::string& lease, int64_t tokens_used) override;
  void Configure(const AnomalySettings& settings) override;
  uint64_t anomalies() const override { return alerts_.load(std::memory_order_relaxed) + local_.anomalies(); }

  size_t live_leases() const { return renewer_.live(); }
  // Requests admitted from budget chunks without a round trip (tests and metrics).
  uint64_t chunk_admissions() const { return chunk_admissions_.load(std::memory_order_relaxed); }
  // Requests of keys without limits counted in the worker without a round trip.
  uint64_t counted_locally() const { return counted_locally_.load(std::memory_order_relaxed); }
  // Sends every ended window's local count now (what the flush thread does; for tests).
  void FlushCounts();

  static constexpr std::chrono::milliseconds kChunkLifetime{1000};
  // The chunk a key with this spec asks for: 1 when it takes none.
  static int64_t ChunkSize(const LimitSpec& spec);

 private:
  using Clock = std::chrono::steady_clock;
  // The unspent part of a key's last chunk (or, `counting`, the counting window of a key
  // without limits), and what was admitted in the worker but not yet counted in Redis.
  struct Chunk {
    bool counting = false;   // a key without limits: every request until `expires` is admitted
    int64_t left = 0;
    int64_t per_minute = 0;  // the spec it was granted for: a changed limit takes a new chunk
    double level = 0;        // the bucket's level after the grant (x-ratelimit-remaining)
    Clock::time_point expires;
    int64_t unreported = 0;
    std::optional<AnomalyAlert> pending;  // raised by a flush, handed to the next admission
  };
  std::string NewLeaseId();
  // Admits from the key's chunk or counting window, or (nullopt) takes its unreported count
  // into *unreported and its pending alert into *pending.
  std::optional<LimitVerdict> AdmitLocally(const std::string& subject, const LimitSpec& spec, int64_t* unreported,
                                           std::optional<AnomalyAlert>* pending);
  void KeepChunk(const std::string& subject, const LimitSpec& spec, bool counting, int64_t left, double level,
                 int64_t unreported);
  void RunFlusher();

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
  std::mutex chunks_mu_;
  std::unordered_map<std::string, Chunk> chunks_;  // GUARDED_BY(chunks_mu_): subject → chunk
  std::atomic<uint64_t> chunk_admissions_{0};
  std::atomic<uint64_t> counted_locally_{0};
  std::mutex flush_mu_;  // serialises flushes (the thread's and FlushCounts')
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;  // GUARDED_BY(stop_mu_)
  std::thread flusher_;  // last: starts once everything above is built
};

}  // namespace deepgate::fcgi::policy
