// The worker's Redis, built from the "redis", "limits" and "cache" config objects: the
// connection pool, the backend's health (journal events for outages and recoveries, read
// by /ready and /metrics) and the global limits on top. Nothing here when neither
// limits.backend nor cache.backend is "redis": the single-host default needs no Redis.
// A Redis that is down at start-up does not stop the worker; the failure policy applies
// from the first request, and the pool keeps trying.
// Thread-safety: built once on the main thread; the parts are thread-safe.
#pragma once

#include <memory>

#include "core/status.h"
#include "fcgi/audit/journal_writer.h"
#include "fcgi/cache/shared_cache_store.h"
#include "fcgi/config.h"
#include "fcgi/policy/clock.h"
#include "fcgi/policy/limits.h"
#include "fcgi/audit/backend_health.h"
#include "fcgi/redis/redis_pool.h"

namespace deepgate::fcgi {

struct RedisState {
  std::unique_ptr<audit::JournalWriter> journal;  // null without journald
  std::unique_ptr<redis::RedisPool> pool;
  std::unique_ptr<audit::BackendHealth> health;
  bool fail_closed = false;  // limits.on_backend_failure (the cache always degrades to a miss)

  // PINGs Redis (fails at once while the pool backs off) and records the outcome: /ready's
  // view stays current on a worker that gets no traffic.
  bool Probe();
};

// Null (and ok) when the config uses no Redis. InvalidArgument for an unsafe or unreadable
// password file (the worker must not start half-configured).
[[nodiscard]] Result<std::unique_ptr<RedisState>> OpenRedis(const WorkerConfig& config);

// limits.backend = "redis": RedisLimits on `state`; otherwise null (PolicyAdmission keeps
// its in-process LocalLimits).
std::unique_ptr<policy::Limits> MakeLimits(const WorkerConfig& config, RedisState* state,
                                           const policy::MonotonicClock& clock);

// cache.backend = "redis": the shared store for ResponseCache; otherwise null (in-process LRU).
std::unique_ptr<cache::SharedCacheStore> MakeSharedCacheStore(const WorkerConfig& config, RedisState* state);

}  // namespace deepgate::fcgi
