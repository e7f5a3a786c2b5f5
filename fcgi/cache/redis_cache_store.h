// RedisCacheStore: the response cache in Redis, shared by every worker on every host — an
// answer computed on host A is a hit on host B, and a purge on B empties A.
//
// Layout under the key prefix: c:<cache key> holds the encoded CachedResponse with the TTL as
// its expiry; the sorted sets ct:<subject> (entries a subject stored) and ct (all entries),
// scored by expiry ms, are the purge tags. Put, PurgeSubject and PurgeAll are each one
// script, so a purge cannot miss an entry stored while it runs; expired tag members are
// trimmed on every Put, so the tags stay as large as the live entries.
// Thread-safety: every method from any thread (the pool serialises connections).
#pragma once

#include <string>

#include "fcgi/cache/response_cache.h"
#include "fcgi/cache/shared_cache_store.h"
#include "fcgi/audit/backend_health.h"
#include "fcgi/redis/redis_pool.h"

namespace deepgate::fcgi::cache {

class RedisCacheStore final : public SharedCacheStore {
 public:
  // `health` records outages (the cache's fallback is a miss).
  RedisCacheStore(redis::RedisPool& pool, audit::BackendHealth& health, std::string key_prefix)
      : pool_(pool), health_(health), prefix_(std::move(key_prefix)) {}

  Result<std::optional<CachedResponse>> Get(const std::string& key) override;
  Status Put(const std::string& key, const std::string& subject, const CachedResponse& response,
             std::chrono::seconds ttl) override;
  Result<size_t> PurgeSubject(const std::string& subject) override;
  Result<size_t> PurgeAll() override;

 private:
  template <typename T>
  Result<T> Noted(Result<T> r);

  redis::RedisPool& pool_;
  audit::BackendHealth& health_;
  const std::string prefix_;
};

// The stored form: "dgc1" then each field as <decimal length>:<bytes>. Decode refuses
// anything else (a foreign or corrupted value is a miss, never a wrong answer).
std::string EncodeCachedResponse(const CachedResponse& r);
[[nodiscard]] Result<CachedResponse> DecodeCachedResponse(const std::string& bytes);

}  // namespace deepgate::fcgi::cache
