// MonotonicClock: the time source of the policy stage (rate limits, anomaly windows), behind an
// interface so unit tests drive time by hand. Thread-safety: Now() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>

namespace deepgate::fcgi::policy {

using TimePoint = std::chrono::steady_clock::time_point;

class MonotonicClock {
 public:
  virtual ~MonotonicClock() = default;
  virtual TimePoint Now() const = 0;
};

class SteadyClock final : public MonotonicClock {
 public:
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
};

// Tests: time moves only when Advance is called.
class ManualClock final : public MonotonicClock {
 public:
  TimePoint Now() const override { return TimePoint(std::chrono::nanoseconds(ns_.load())); }
  void Advance(std::chrono::nanoseconds d) { ns_ += d.count(); }

 private:
  std::atomic<int64_t> ns_{int64_t{1000} * 1000 * 1000 * 3600};  // an hour in: never "before start"
};

}  // namespace deepgate::fcgi::policy
