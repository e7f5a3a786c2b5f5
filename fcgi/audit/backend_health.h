// BackendHealth: whether a shared backend (Redis for limits and cache, PostgreSQL for keys)
// answers, as seen by this worker, and the journal events for its transitions: the first
// failure after success writes DEEPGATE_EVENT=backend_degraded (PRIORITY 4,
// DEEPGATE_BACKEND=redis|postgres, DEEPGATE_FALLBACK = what
// the worker does meanwhile), the first success after that DEEPGATE_EVENT=backend_recovered
// (PRIORITY 5). One event per transition, not per request, so an outage cannot flood the
// journal. The error text comes from the connection layer and never holds a secret.
// /ready and /metrics read the state.
// Thread-safety: every method from any thread; one mutex, no I/O under it but the journal send
// of a transition (sd_journal_sendv, a local datagram).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "fcgi/audit/journal_writer.h"

namespace deepgate::fcgi::audit {

class BackendHealth {
 public:
  // `journal` may be null (no journald): transitions then go to stderr only.
  BackendHealth(std::string backend, std::string fallback, JournalWriter* journal)
      : backend_(std::move(backend)), fallback_(std::move(fallback)), journal_(journal) {}
  // Owning the journal writer (the key store's, opened with it).
  BackendHealth(std::string backend, std::string fallback, std::unique_ptr<JournalWriter> journal)
      : backend_(std::move(backend)), fallback_(std::move(fallback)), owned_journal_(std::move(journal)),
        journal_(owned_journal_.get()) {}
  BackendHealth(const BackendHealth&) = delete;
  BackendHealth& operator=(const BackendHealth&) = delete;

  void NoteSuccess();
  void NoteFailure(const Status& why);
  // Counts one decision made without the backend (local fallback, refusal, cache miss, a key
  // answered from the stale window).
  void NoteDegradedCall() { degraded_calls_.fetch_add(1, std::memory_order_relaxed); }

  bool up() const { return up_.load(std::memory_order_relaxed); }
  uint64_t outages() const { return outages_.load(std::memory_order_relaxed); }
  uint64_t degraded_calls() const { return degraded_calls_.load(std::memory_order_relaxed); }
  std::string last_error() const;
  const std::string& backend() const { return backend_; }
  const std::string& fallback() const { return fallback_; }

 private:
  void Emit(const char* event, int priority, const std::string& message);

  const std::string backend_;
  const std::string fallback_;
  std::unique_ptr<JournalWriter> owned_journal_;
  JournalWriter* const journal_;
  std::atomic<bool> up_{true};
  std::atomic<uint64_t> outages_{0};
  std::atomic<uint64_t> degraded_calls_{0};
  mutable std::mutex mu_;
  std::string last_error_;  // GUARDED_BY(mu_)
};

}  // namespace deepgate::fcgi::audit
