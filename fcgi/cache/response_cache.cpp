#include "fcgi/cache/response_cache.h"

namespace deepgate::fcgi::cache {

size_t CachedResponse::Bytes() const {
  size_t n = 256 + body.size() + response_id.size() + model.size();  // 256: entry, key, list and map nodes
  for (const std::string& e : events) n += e.size() + sizeof(std::string);
  return n;
}

void ResponseCache::EraseLocked(Lru::iterator it) {
  bytes_ -= static_cast<int64_t>(it->bytes);
  index_.erase(it->key);
  lru_.erase(it);
}

std::shared_ptr<const CachedResponse> ResponseCache::LookupShared(const std::string& key) {
  Result<std::optional<CachedResponse>> got = shared_->Get(key);
  if (!got.ok() || !got->has_value()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  return std::make_shared<const CachedResponse>(std::move(**got));
}

void ResponseCache::StoreShared(const std::string& key, const std::string& subject, const CachedResponse& response) {
  if (static_cast<int64_t>(response.Bytes()) > options_.max_entry_bytes) return;
  if (shared_->Put(key, subject, response, options_.ttl).ok()) stores_.fetch_add(1, std::memory_order_relaxed);
}

size_t ResponseCache::Purged(Result<size_t> n) {
  const size_t dropped = n.ok() ? *n : 0;
  purged_.fetch_add(dropped, std::memory_order_relaxed);
  return dropped;
}

std::shared_ptr<const CachedResponse> ResponseCache::Lookup(const std::string& key) {
  if (shared_) return LookupShared(key);
  std::lock_guard lock(mu_);
  auto found = index_.find(key);
  if (found == index_.end()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  Lru::iterator it = found->second;
  if (clock_.Now() >= it->expires) {
    EraseLocked(it);
    evictions_.fetch_add(1, std::memory_order_relaxed);
    misses_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  lru_.splice(lru_.begin(), lru_, it);
  hits_.fetch_add(1, std::memory_order_relaxed);
  return it->response;
}

void ResponseCache::Store(const std::string& key, const std::string& subject, CachedResponse response) {
  if (shared_) return StoreShared(key, subject, response);
  const size_t bytes = response.Bytes() + key.size() + subject.size();
  if (static_cast<int64_t>(bytes) > options_.max_bytes) return;
  auto shared = std::make_shared<const CachedResponse>(std::move(response));
  const policy::TimePoint now = clock_.Now();
  std::lock_guard lock(mu_);
  if (auto found = index_.find(key); found != index_.end()) EraseLocked(found->second);
  // Least recently used out until it fits (an expired entry, unused for a TTL, is near the back).
  while (!lru_.empty() && bytes_ + static_cast<int64_t>(bytes) > options_.max_bytes) {
    EraseLocked(std::prev(lru_.end()));
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
  lru_.push_front(Entry{key, subject, std::move(shared), bytes, now + options_.ttl});
  index_[key] = lru_.begin();
  bytes_ += static_cast<int64_t>(bytes);
  stores_.fetch_add(1, std::memory_order_relaxed);
}

size_t ResponseCache::PurgeAll() {
  if (shared_) return Purged(shared_->PurgeAll());
  std::lock_guard lock(mu_);
  const size_t n = lru_.size();
  lru_.clear();
  index_.clear();
  bytes_ = 0;
  purged_.fetch_add(n, std::memory_order_relaxed);
  return n;
}

size_t ResponseCache::PurgeSubject(const std::string& subject) {
  if (shared_) return Purged(shared_->PurgeSubject(subject));
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (it->subject == subject) {
      EraseLocked(it);
      ++n;
    }
    it = next;
  }
  purged_.fetch_add(n, std::memory_order_relaxed);
  return n;
}

ResponseCacheStats ResponseCache::stats() const {
  ResponseCacheStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.misses = misses_.load(std::memory_order_relaxed);
  s.bypasses = bypasses_.load(std::memory_order_relaxed);
  s.stores = stores_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  s.purged = purged_.load(std::memory_order_relaxed);
  std::lock_guard lock(mu_);
  s.bytes = bytes_;
  s.entries = static_cast<int64_t>(lru_.size());
  return s;
}

}  // namespace deepgate::fcgi::cache
