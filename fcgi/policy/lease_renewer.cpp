#include "fcgi/policy/lease_renewer.h"

#include <vector>

namespace deepgate::fcgi::policy {

LeaseRenewer::LeaseRenewer(RedisRateLimiter& limiter) : limiter_(limiter), thread_([this] { Run(); }) {}

LeaseRenewer::~LeaseRenewer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void LeaseRenewer::Add(const std::string& subject, const std::string& lease) {
  std::lock_guard lock(mu_);
  leases_[lease] = subject;
}

void LeaseRenewer::Remove(const std::string& lease) {
  std::lock_guard lock(mu_);
  leases_.erase(lease);
}

size_t LeaseRenewer::live() const {
  std::lock_guard lock(mu_);
  return leases_.size();
}

void LeaseRenewer::Run() {
  const auto period = limiter_.lease() / 3;
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, period, [this] { return stop_; })) {
    std::map<std::string, std::vector<std::string>> by_subject;  // subject → its live leases
    for (const auto& [lease, subject] : leases_) by_subject[subject].push_back(lease);
    lock.unlock();
    for (const auto& [subject, leases] : by_subject) (void)limiter_.Renew(subject, leases);
    lock.lock();
  }
}

}  // namespace deepgate::fcgi::policy
