#include "fcgi/policy/redis_anomaly_detector.h"

#include <cstdlib>

#include "fcgi/policy/redis_limit_scripts.h"

namespace deepgate::fcgi::policy {

Result<std::optional<AnomalyAlert>> RedisAnomalyDetector::Observe(const std::string& subject,
                                                                  const AnomalySettings& settings) {
  DG_ASSIGN_OR_RETURN(redis::RedisReply r,
                      pool_.Eval(AnomalyScript(), {prefix_ + "{" + subject + "}:an"},
                                 {std::to_string(settings.history_minutes), std::to_string(settings.floor_per_minute)}));
  if (r.kind != redis::RedisReply::Kind::kArray || r.items.empty())
    return Status::Unavailable("redis: anomaly script answered " + (r.is_error() ? r.text : std::string("nothing")));
  if (r.At(0).AsInt() != 1) return std::optional<AnomalyAlert>();
  AnomalyAlert a;
  a.count = r.At(1).AsInt();
  a.mean = std::strtod(r.At(2).text.c_str(), nullptr);
  a.stddev = std::strtod(r.At(3).text.c_str(), nullptr);
  a.threshold = std::strtod(r.At(4).text.c_str(), nullptr);
  return std::optional<AnomalyAlert>(a);
}

}  // namespace deepgate::fcgi::policy
