#include "fcgi/store/store_health.h"

#include <cstdio>

namespace deepgate::fcgi::store {
namespace {
constexpr const char* kFallback = "keys verified within stale_key_seconds only; new keys and writes answer 503";
}

void StoreHealth::NoteSuccess() {
  if (up_.load(std::memory_order_relaxed)) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (up_.exchange(true)) return;  // another thread reported the recovery
  Emit("backend_recovered", 5, "postgres key store is reachable again");
}

void StoreHealth::NoteFailure(const Status& why) {
  std::lock_guard<std::mutex> lock(mu_);
  last_error_ = why.message();
  if (!up_.exchange(false)) return;
  outages_.fetch_add(1, std::memory_order_relaxed);
  Emit("backend_degraded", 4, "postgres key store unreachable (" + why.message() + "); now: " + kFallback);
}

std::string StoreHealth::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

void StoreHealth::Emit(const char* event, int priority, const std::string& message) {
  std::fprintf(stderr, "deepgate-fcgi: %s: %s\n", event, message.c_str());
  if (journal_ == nullptr) return;
  (void)journal_->Send({"SYSLOG_IDENTIFIER=deepgate", "MESSAGE=" + message, "PRIORITY=" + std::to_string(priority),
                        std::string("DEEPGATE_EVENT=") + event, "DEEPGATE_BACKEND=postgres",
                        std::string("DEEPGATE_FALLBACK=") + kFallback});
}

}  // namespace deepgate::fcgi::store
