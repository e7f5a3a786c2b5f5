// Limits: where PolicyAdmission keeps per-subject state — the rate limits and the anomaly
// detector's counts. LocalLimits keeps it in this process (the default: `./run.sh` and a
// single host need nothing else); RedisLimits (fcgi/policy/redis_limits.h) keeps it in Redis
// for all workers of all hosts, with LocalLimits as its `local` fallback.
// Thread-safety: every method from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "fcgi/policy/anomaly_detector.h"
#include "fcgi/policy/clock.h"
#include "fcgi/policy/rate_limiter.h"

namespace deepgate::fcgi::policy {

struct LimitVerdict {
  RateDecision decision;
  std::string lease;         // admitted: hand back to Finish (opaque; "" for an in-process slot)
  bool unavailable = false;  // the shared backend could not decide and the policy is fail_closed
  std::optional<AnomalyAlert> alert;  // this request tipped the anomaly detector (refused or not)
};

class Limits {
 public:
  virtual ~Limits() = default;
  // Counts the request for the anomaly detector (the alert when it tipped this minute), then
  // decides on the limits.
  virtual LimitVerdict Admit(const std::string& subject, const LimitSpec& spec) = 0;
  // Ends an admitted request: frees its slot and charges the tokens it used.
  virtual void Finish(const std::string& subject, const LimitSpec& spec, const std::string& lease,
                      int64_t tokens_used) = 0;
  virtual void Configure(const AnomalySettings& settings) = 0;
  virtual uint64_t anomalies() const = 0;
};

class LocalLimits final : public Limits {
 public:
  LocalLimits(const MonotonicClock& clock, const AnomalySettings& settings) : limiter_(clock), anomaly_(clock, settings) {}

  LimitVerdict Admit(const std::string& subject, const LimitSpec& spec) override {
    std::optional<AnomalyAlert> alert = anomaly_.Observe(subject);
    return LimitVerdict{limiter_.Admit(subject, spec), "", false, alert};
  }
  void Finish(const std::string& subject, const LimitSpec&, const std::string&, int64_t tokens_used) override {
    limiter_.Finish(subject, tokens_used);
  }
  void Configure(const AnomalySettings& settings) override { anomaly_.Configure(settings); }
  uint64_t anomalies() const override { return anomaly_.alerts(); }

 private:
  RateLimiter limiter_;
  AnomalyDetector anomaly_;
};

}  // namespace deepgate::fcgi::policy
