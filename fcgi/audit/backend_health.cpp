#include "fcgi/audit/backend_health.h"

#include <cstdio>
#include <vector>

namespace deepgate::fcgi::audit {

void BackendHealth::NoteSuccess() {
  if (up_.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(mu_);
  if (up_.exchange(true)) return;  // another thread reported the recovery
  Emit("backend_recovered", 5, backend_ + " is reachable again; shared state in use");
}

void BackendHealth::NoteFailure(const Status& why) {
  std::lock_guard lock(mu_);
  last_error_ = why.message();
  if (!up_.exchange(false)) return;
  outages_.fetch_add(1, std::memory_order_relaxed);
  Emit("backend_degraded", 4, backend_ + " unreachable (" + why.message() + "); now: " + fallback_);
}

std::string BackendHealth::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void BackendHealth::Emit(const char* event, int priority, const std::string& message) {
  std::fprintf(stderr, "deepgate-fcgi: %s: %s\n", event, message.c_str());
  if (journal_ == nullptr) return;
  (void)journal_->Send({"SYSLOG_IDENTIFIER=deepgate", "MESSAGE=" + message, "PRIORITY=" + std::to_string(priority),
                        std::string("DEEPGATE_EVENT=") + event, "DEEPGATE_BACKEND=" + backend_,
                        "DEEPGATE_FALLBACK=" + fallback_});
}

}  // namespace deepgate::fcgi::audit
