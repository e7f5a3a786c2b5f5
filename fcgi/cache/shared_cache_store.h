// SharedCacheStore: where ResponseCache keeps its entries when they are shared beyond this
// process (cache.backend = "redis": RedisCacheStore). Same keys, TTL, subject tags and purge
// semantics as the in-process LRU; the byte bound is per entry (the store's own memory bound,
// Redis's maxmemory, covers the total). A failed call is reported, and ResponseCache turns it
// into a miss (Get) or a skipped store (Put): the cache degrades, it never fails a request.
// Thread-safety: implementations are called from every acceptor thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "core/status.h"

namespace deepgate::fcgi::cache {

struct CachedResponse;

class SharedCacheStore {
 public:
  virtual ~SharedCacheStore() = default;
  [[nodiscard]] virtual Result<std::optional<CachedResponse>> Get(const std::string& key) = 0;
  [[nodiscard]] virtual Status Put(const std::string& key, const std::string& subject, const CachedResponse& response,
                                   std::chrono::seconds ttl) = 0;
  // Entries dropped.
  [[nodiscard]] virtual Result<size_t> PurgeSubject(const std::string& subject) = 0;
  [[nodiscard]] virtual Result<size_t> PurgeAll() = 0;
};

}  // namespace deepgate::fcgi::cache
