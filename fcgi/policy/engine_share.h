// EngineShare: what one subject (a key, an IdP user, a client address) may hold in the
// engine at once, counted in sequences — a request with `n` choices is n sequences — and in
// reserved tokens — each sequence's prompt + max_tokens. Three bounds, checked when a
// generation is submitted:
//   1. sequences ≤ the subject's concurrency limit (the key's, else rate_limits.max_concurrent)
//      → 429 (ResourceExhausted, reason max_concurrent);
//   2. reserved tokens ≤ the subject's tokens/min budget: a minute's budget may be in flight,
//      no more → 429 (reason tokens_per_minute);
//   3. sequences ≤ the engine's batch width (max_sequences) less engine_reserved_sequences,
//      so one subject never holds every running slot and another subject's request always
//      finds room → 503 overloaded (Unavailable, reason engine_share).
// A subject's holding is released when the request's Ticket goes (the request ended, the
// client left, the deadline passed). Thread-safety: all methods may be called concurrently.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/status.h"

namespace deepgate::fcgi::policy {

struct ShareLimits {
  int64_t max_sequences = 0;     // the subject's concurrency limit; 0 = none
  int64_t max_tokens = 0;        // the subject's tokens/min budget; 0 = none
  int64_t engine_sequences = 0;  // the subject's share of the batch width; 0 = none
};

// What a refusal says: the status the client is answered with and the audit reason.
struct ShareRefusal {
  Status status;
  std::string reason;  // "max_concurrent", "tokens_per_minute", "engine_share"
};

class EngineShare {
 public:
  // What a reservation holds; releasing it (destructor) gives it back.
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept { *this = std::move(other); }
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { Release(); }
    void Release();

   private:
    friend class EngineShare;
    EngineShare* owner_ = nullptr;
    std::string subject_;
    int64_t sequences_ = 0;
    int64_t tokens_ = 0;
  };

  EngineShare() = default;
  EngineShare(const EngineShare&) = delete;
  EngineShare& operator=(const EngineShare&) = delete;

  // Reserves `sequences` and `tokens` for `subject`, or says which bound refused it (and
  // then holds nothing).
  [[nodiscard]] bool Reserve(const std::string& subject, int64_t sequences, int64_t tokens, const ShareLimits& limits,
                             Ticket* ticket, ShareRefusal* refusal);

  int64_t sequences_held(const std::string& subject) const;

 private:
  struct Held {
    int64_t sequences = 0;
    int64_t tokens = 0;
  };
  void Give(const std::string& subject, int64_t sequences, int64_t tokens);

  mutable std::mutex mu_;
  std::unordered_map<std::string, Held> held_;  // GUARDED_BY(mu_); subjects holding something
};

}  // namespace deepgate::fcgi::policy
