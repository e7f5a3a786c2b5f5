// StoreHealth: whether the PostgreSQL key store answers, as this process sees it, and the
// journal events of its transitions: the first failure after success writes
// DEEPGATE_EVENT=backend_degraded (PRIORITY 4, DEEPGATE_BACKEND=postgres, DEEPGATE_FALLBACK =
// what the worker does meanwhile), the first success after it DEEPGATE_EVENT=backend_recovered
// (PRIORITY 5) — the same event names and fields the Redis backend uses, one per transition,
// so an outage cannot flood the journal. Messages come from PgConnection, already scrubbed of
// the password. Thread-safety: every method from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "fcgi/audit/journal_writer.h"

namespace deepgate::fcgi::store {

class StoreHealth {
 public:
  // `journal` may be null (CLI, tests, no journald): transitions then go to stderr only.
  explicit StoreHealth(std::unique_ptr<audit::JournalWriter> journal) : journal_(std::move(journal)) {}

  void NoteSuccess();
  void NoteFailure(const Status& why);
  void NoteStaleAnswer() { stale_answers_.fetch_add(1, std::memory_order_relaxed); }

  bool up() const { return up_.load(std::memory_order_relaxed); }
  uint64_t outages() const { return outages_.load(std::memory_order_relaxed); }
  uint64_t stale_answers() const { return stale_answers_.load(std::memory_order_relaxed); }
  std::string last_error() const;

 private:
  void Emit(const char* event, int priority, const std::string& message);

  std::unique_ptr<audit::JournalWriter> journal_;
  std::atomic<bool> up_{true};
  std::atomic<uint64_t> outages_{0};
  std::atomic<uint64_t> stale_answers_{0};
  mutable std::mutex mu_;
  std::string last_error_;  // GUARDED_BY(mu_)
};

}  // namespace deepgate::fcgi::store
