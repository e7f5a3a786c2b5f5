#include "fcgi/server/purge_loop.h"

#include <chrono>

#include "fcgi/server/worker_log.h"

namespace deepgate::fcgi {

PurgeLoop::PurgeLoop(auth::KeyStore& store, audit::SubjectPseudonyms& pseudonyms, cache::ResponseCache* cache)
    : cache_(cache), follower_(store, &pseudonyms, [this](const std::string& subject) { PurgeCache(subject); }) {
  if (Status s = follower_.Start(); !s.ok()) WorkerLog("erasure: cannot read the purge queue: " + s.message());
  thread_ = std::thread([this] { Run(); });
}

PurgeLoop::~PurgeLoop() {
  stop_ = true;
  thread_.join();
}

void PurgeLoop::Run() {
  while (!stop_) {
    if (Result<int> n = follower_.Poll(); n.ok() && *n > 0)
      WorkerLog("erasure: applied " + std::to_string(*n) + " purge(s)");
    // Poll once a second, but notice a stop within 100 ms.
    for (int i = 0; i < 10 && !stop_; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

void PurgeLoop::PurgeCache(const std::string& subject) {
  if (cache_ == nullptr) return;
  const size_t n = subject.empty() ? cache_->PurgeAll() : cache_->PurgeSubject(subject);
  WorkerLog("cache purge" + std::string(subject.empty() ? " (all)" : " (one subject)") + ": " + std::to_string(n) +
            " entries dropped");
}

}  // namespace deepgate::fcgi
