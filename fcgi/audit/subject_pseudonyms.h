// SubjectPseudonyms: the SUBJECT the audit trail records is "ps_" + the first 32 hex digits
// of HMAC-SHA256(k_s, s), with k_s a random 32-byte key per data subject s kept in the key
// store (table subject_keys). The journal never holds the raw subject; whoever can read the
// key store can recompute a subject's pseudonym to find its entries; and `deepgate erase`
// deletes k_s, after which the entries already written can no longer be tied to s (a new
// key, hence a new pseudonym, is made if s comes back). Pseudonyms are cached in memory (no
// key store lookup or HMAC per request); Forget drops a cached one when the erasure queue
// says so (PurgeFollower).
// Thread-safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <mutex>
#include <string>

#include "fcgi/auth/key_store.h"

namespace deepgate::fcgi::audit {

inline constexpr const char* kPseudonymPrefix = "ps_";

// False for the placeholders that name nobody: "", "-" (not authenticated), "anonymous",
// "deepgate" (the worker's own events).
bool NamesASubject(const std::string& subject);

class SubjectPseudonyms {
 public:
  using NowFn = std::function<int64_t()>;
  SubjectPseudonyms(auth::KeyStore& store, NowFn now) : store_(store), now_(std::move(now)) {}

  // The pseudonym; the placeholders above are returned unchanged. If the key store fails,
  // "ps_unavailable" — never the raw subject.
  std::string Pseudonym(const std::string& subject);
  // Drops the cached key of `subject` ("" = every cached key).
  void Forget(const std::string& subject);

 private:
  auth::KeyStore& store_;
  const NowFn now_;
  std::mutex mu_;
  static constexpr size_t kMaxCached = 65536;
  std::unordered_map<std::string, std::string> pseudonyms_;  // GUARDED_BY(mu_): subject → pseudonym
};

// Follows the key store's cache-purge queue (written by `deepgate erase` and
// `deepgate cache purge`): each new purge drops the subject's cached pseudonym key and is
// handed to `on_purge` (the response cache's PurgeSubject / PurgeAll; "" = all).
// Thread-safety: Poll from one thread.
class PurgeFollower {
 public:
  PurgeFollower(auth::KeyStore& store, SubjectPseudonyms* pseudonyms, std::function<void(const std::string&)> on_purge)
      : store_(store), pseudonyms_(pseudonyms), on_purge_(std::move(on_purge)) {}
  // Starts after the newest purge already queued (old purges are not replayed).
  [[nodiscard]] Status Start();
  // Applies purges queued since the last call; returns how many.
  [[nodiscard]] Result<int> Poll();

 private:
  auth::KeyStore& store_;
  SubjectPseudonyms* const pseudonyms_;
  const std::function<void(const std::string&)> on_purge_;
  int64_t last_seq_ = 0;
};

}  // namespace deepgate::fcgi::audit
