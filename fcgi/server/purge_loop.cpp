#include "fcgi/server/purge_loop.h"

#include <chrono>

#include "fcgi/server/worker_log.h"

namespace deepgate::fcgi {

PurgeLoop::PurgeLoop(auth::KeyStore& store, audit::SubjectPseudonyms& pseudonyms, cache::ResponseCache* cache)
    : cache_(cache),
      follower_(store, &pseudonyms, [this](const std::string& subject) { PurgeCache(subject); }),
      store_(store) {
  if (Status s = follower_.Start(); !s.ok()) WorkerLog("erasure: cannot read the purge queue: " + s.message());
  thread_ = std::thread([this] { Run(); });
  store_.SetPurgeWaker([this] { Wake(); });
}

PurgeLoop::~PurgeLoop() {
  store_.SetPurgeWaker(nullptr);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void PurgeLoop::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

void PurgeLoop::Run() {
  while (!stop_) {
    if (Result<int> n = follower_.Poll(); n.ok() && *n > 0)
      WorkerLog("erasure: applied " + std::to_string(*n) + " purge(s)");
    // Poll once a second, or at once when woken (another host's purge) or stopped.
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return woken_ || stop_.load(); });
    woken_ = false;
  }
}

void PurgeLoop::PurgeCache(const std::string& subject) {
  if (cache_ == nullptr) return;
  const size_t n = subject.empty() ? cache_->PurgeAll() : cache_->PurgeSubject(subject);
  WorkerLog("cache purge" + std::string(subject.empty() ? " (all)" : " (one subject)") + ": " + std::to_string(n) +
            " entries dropped");
}

}  // namespace deepgate::fcgi
