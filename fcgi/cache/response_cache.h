// ResponseCache: finished answers of deterministic generation requests, by cache key
// (fcgi/cache/cache_key.h), kept for a TTL and bounded by bytes with least-recently-used
// eviction. Only complete answers are ever stored (ServeCached decides: a 200 body, or a
// stream that reached [DONE] with no error event and a client still there).
//
// Purge: PurgeAll() empties it; PurgeSubject(subject) drops every entry the principal with
// that subject (its key id for API keys and our JWTs, `sub` for an external IdP) stored —
// under the "shared" scope other subjects' hits on those entries go too. These are the
// in-process hooks for `POST /admin/cache/purge` and for the CLI's cross-process purge.
//
// Shared mode (cache.backend = "redis"): constructed with a SharedCacheStore, the entries live
// there instead of the LRU — same keys, TTL, subject tags and purges, for every worker on every
// host — and `max_entry_bytes` bounds each entry. A store that fails is a miss (Lookup) or a
// skipped store (Store), never an error; the statistics still count here.
//
// Thread-safety: every method from any thread; one mutex guards the map and the LRU list
// (held for a lookup or an insert only, never while a response is written), statistics are
// atomics.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "fcgi/cache/shared_cache_store.h"
#include "fcgi/policy/clock.h"

namespace deepgate::fcgi::cache {

// One stored answer, replayed byte for byte but for the response id.
struct CachedResponse {
  bool stream = false;
  std::string body;                 // non-stream: the JSON body
  std::vector<std::string> events;  // stream: each event's data in order, "[DONE]" last
  std::string response_id;          // the "id" in the body/chunks ("chatcmpl-<request id>")
  // The usage the original answer reported: a hit reports (and is charged) the same.
  std::string model;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;

  size_t Bytes() const;  // what it costs against max_bytes (payload + a fixed overhead)
};

struct ResponseCacheOptions {
  std::chrono::seconds ttl{900};
  int64_t max_bytes = int64_t{64} << 20;
  int64_t max_entry_bytes = int64_t{1} << 20;  // shared mode: a larger answer is not stored
};

struct ResponseCacheStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t bypasses = 0;   // non-deterministic requests, never looked up
  uint64_t stores = 0;
  uint64_t evictions = 0;  // LRU (bytes) and TTL expiry
  uint64_t purged = 0;
  int64_t bytes = 0;
  int64_t entries = 0;
};

class ResponseCache {
 public:
  // `shared`: null keeps the entries in this process.
  ResponseCache(ResponseCacheOptions options, const policy::MonotonicClock& clock,
                std::unique_ptr<SharedCacheStore> shared = nullptr)
      : options_(options), clock_(clock), shared_(std::move(shared)) {}
  ResponseCache(const ResponseCache&) = delete;
  ResponseCache& operator=(const ResponseCache&) = delete;

  // The live entry for key (and marks it most recently used), or null (counted as a miss).
  std::shared_ptr<const CachedResponse> Lookup(const std::string& key);
  // Stores (or replaces) an entry; an answer larger than max_bytes is not stored.
  void Store(const std::string& key, const std::string& subject, CachedResponse response);
  void NoteBypass() { bypasses_.fetch_add(1, std::memory_order_relaxed); }

  // Number of entries dropped.
  size_t PurgeAll();
  size_t PurgeSubject(const std::string& subject);

  ResponseCacheStats stats() const;
  int64_t max_bytes() const { return options_.max_bytes; }

 private:
  struct Entry {
    std::string key;
    std::string subject;
    std::shared_ptr<const CachedResponse> response;
    size_t bytes = 0;
    policy::TimePoint expires;
  };
  using Lru = std::list<Entry>;  // front = most recently used

  void EraseLocked(Lru::iterator it);  // REQUIRES(mu_)
  std::shared_ptr<const CachedResponse> LookupShared(const std::string& key);
  void StoreShared(const std::string& key, const std::string& subject, const CachedResponse& response);
  size_t Purged(Result<size_t> n);

  const ResponseCacheOptions options_;
  const policy::MonotonicClock& clock_;
  const std::unique_ptr<SharedCacheStore> shared_;  // null: the LRU below holds the entries
  mutable std::mutex mu_;
  Lru lru_;                                               // GUARDED_BY(mu_)
  std::unordered_map<std::string, Lru::iterator> index_;  // GUARDED_BY(mu_)
  int64_t bytes_ = 0;                                     // GUARDED_BY(mu_)
  std::atomic<uint64_t> hits_{0}, misses_{0}, bypasses_{0}, stores_{0}, evictions_{0}, purged_{0};
};

}  // namespace deepgate::fcgi::cache
