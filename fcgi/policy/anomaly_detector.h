// AnomalyDetector: per subject, counts requests per clock minute and flags the current minute
// when its count exceeds max(mean + 3σ of the previous `history_minutes` minutes, floor).
// Minutes without requests count as 0 once a subject has been seen; a subject seen for the
// first time is judged against the floor alone. One alert per subject per minute.
// Thread-safety: Observe may be called concurrently (one mutex).
#pragma once

#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "fcgi/policy/clock.h"

namespace deepgate::fcgi::policy {

struct AnomalySettings {
  bool enabled = true;
  int64_t floor_per_minute = 60;  // never alert at or below this many requests in a minute
  int history_minutes = 60;       // baseline window
};

struct AnomalyAlert {
  int64_t count = 0;  // requests so far in the current minute
  double mean = 0, stddev = 0, threshold = 0;
};

class AnomalyDetector {
 public:
  AnomalyDetector(const MonotonicClock& clock, AnomalySettings settings, size_t max_subjects = 100000)
      : clock_(clock), max_subjects_(max_subjects), settings_(settings) {}
  AnomalyDetector(const AnomalyDetector&) = delete;
  AnomalyDetector& operator=(const AnomalyDetector&) = delete;

  // Counts one request; returns an alert the first time the current minute crosses the line.
  std::optional<AnomalyAlert> Observe(const std::string& subject);
  void Configure(AnomalySettings settings);
  uint64_t alerts() const;

 private:
  struct Window {
    int64_t minute = 0;          // clock minute being counted
    int64_t count = 0;           // requests in that minute
    bool alerted = false;        // an alert was raised for this minute
    std::deque<int64_t> history; // previous minutes' counts, oldest first
  };
  void Roll(Window& w, int64_t minute) const;

  const MonotonicClock& clock_;
  const size_t max_subjects_;
  mutable std::mutex mu_;
  AnomalySettings settings_;                          // GUARDED_BY(mu_)
  std::unordered_map<std::string, Window> windows_;   // GUARDED_BY(mu_)
  uint64_t alerts_ = 0;                               // GUARDED_BY(mu_)
};

}  // namespace deepgate::fcgi::policy
