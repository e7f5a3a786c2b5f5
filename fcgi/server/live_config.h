// LiveConfig: the current WorkerConfig, swapped whole on SIGHUP. Each request takes one
// snapshot (a shared_ptr) and keeps it to the end, so a reload never changes limits under a
// request in flight. Thread-safety: Get and Set from any thread.
#pragma once

#include <memory>
#include <mutex>

#include "fcgi/config.h"

namespace deepgate::fcgi {

class LiveConfig {
 public:
  explicit LiveConfig(WorkerConfig config) : current_(std::make_shared<const WorkerConfig>(std::move(config))) {}
  std::shared_ptr<const WorkerConfig> Get() const {
    std::lock_guard<std::mutex> lock(mu_);
    return current_;
  }
  // Applies the reloadable keys of `next`; keys that need a restart keep their current value.
  ConfigChanges Reload(const WorkerConfig& next) {
    std::lock_guard<std::mutex> lock(mu_);
    ConfigChanges changes = DiffConfig(*current_, next);
    current_ = std::make_shared<const WorkerConfig>(ApplyLiveKeys(*current_, next));
    return changes;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const WorkerConfig> current_;  // GUARDED_BY(mu_)
};

}  // namespace deepgate::fcgi
