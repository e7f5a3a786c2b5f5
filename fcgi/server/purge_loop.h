// PurgeLoop: the worker's purge follower. Data-subject erasure (`deepgate erase`) and
// `deepgate cache purge` queue purges in the key store; this thread polls the queue once a
// second and applies each purge to the pseudonym keys and the response cache. A store that
// hears of other hosts' purges (PostgreSQL NOTIFY) wakes it at once instead. Started by
// the constructor, stopped and joined by the destructor (declare it after what it uses).
// Thread-safety: owns one thread; the store, pseudonyms and cache are thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fcgi/audit/subject_pseudonyms.h"
#include "fcgi/auth/key_store.h"
#include "fcgi/cache/response_cache.h"

namespace deepgate::fcgi {

class PurgeLoop {
 public:
  // `cache` may be null (cache disabled).
  PurgeLoop(auth::KeyStore& store, audit::SubjectPseudonyms& pseudonyms, cache::ResponseCache* cache);
  ~PurgeLoop();
  PurgeLoop(const PurgeLoop&) = delete;
  PurgeLoop& operator=(const PurgeLoop&) = delete;

 private:
  void Run();
  void Wake();
  void PurgeCache(const std::string& subject);  // "" = every entry

  cache::ResponseCache* const cache_;
  audit::PurgeFollower follower_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool woken_ = false;  // GUARDED_BY(mu_)
  std::atomic<bool> stop_{false};
  auth::KeyStore& store_;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace deepgate::fcgi
