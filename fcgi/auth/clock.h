// WallClock: where auth code reads the time, so tests can move it (key expiry, rotation overlap,
// JWT exp/nbf). Seconds since the Unix epoch: every auth timestamp is compared at that
// resolution. Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>

namespace deepgate::fcgi::auth {

class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual int64_t NowUnix() const = 0;
};

class SystemClock final : public WallClock {
 public:
  int64_t NowUnix() const override { return static_cast<int64_t>(std::time(nullptr)); }
};

// For tests: a clock that only moves when told to.
class FakeClock final : public WallClock {
 public:
  explicit FakeClock(int64_t now) : now_(now) {}
  int64_t NowUnix() const override { return now_.load(); }
  void Set(int64_t now) { now_.store(now); }
  void Advance(int64_t seconds) { now_.fetch_add(seconds); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace deepgate::fcgi::auth
