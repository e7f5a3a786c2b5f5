// LeaseRenewer: keeps this worker's concurrency leases in Redis alive while their requests
// run. A thread wakes every third of the lease period and extends every live lease, one
// script per subject; a long streaming request therefore keeps its slot for as long as it
// runs, and a worker that is killed stops renewing, so its slots expire within one lease
// period. A failed renewal is left to the next round (the lease has two more periods' margin).
// Thread-safety: Add/Remove from any thread; one mutex guards the live set.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "fcgi/policy/redis_rate_limiter.h"

namespace deepgate::fcgi::policy {

class LeaseRenewer {
 public:
  explicit LeaseRenewer(RedisRateLimiter& limiter);
  ~LeaseRenewer();  // stops and joins the thread
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  void Add(const std::string& subject, const std::string& lease);
  void Remove(const std::string& lease);
  size_t live() const;

 private:
  void Run();

  RedisRateLimiter& limiter_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;                          // GUARDED_BY(mu_)
  std::map<std::string, std::string> leases_;  // GUARDED_BY(mu_): lease id → subject
  std::thread thread_;
};

}  // namespace deepgate::fcgi::policy
