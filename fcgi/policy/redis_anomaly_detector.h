// RedisAnomalyDetector: AnomalyDetector's rule (a minute above max(mean + 3σ of the previous
// history_minutes, floor) alerts once) on per-subject minute counts kept in Redis, so a key
// spread over many workers and hosts is judged on its total. One script per request.
// Thread-safety: every method from any thread.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "fcgi/policy/anomaly_detector.h"
#include "fcgi/redis/redis_pool.h"

namespace deepgate::fcgi::policy {

class RedisAnomalyDetector {
 public:
  RedisAnomalyDetector(redis::RedisPool& pool, std::string key_prefix) : pool_(pool), prefix_(std::move(key_prefix)) {}

  // Counts one request; the alert when this request tipped the current minute over the line.
  [[nodiscard]] Result<std::optional<AnomalyAlert>> Observe(const std::string& subject, const AnomalySettings& settings);

 private:
  redis::RedisPool& pool_;
  const std::string prefix_;
};

}  // namespace deepgate::fcgi::policy
