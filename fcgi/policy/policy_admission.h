// PolicyAdmission: the pipeline's policy stage — country policy (GeoIP), the anomaly
// detector, then per-subject rate limits — built from WorkerConfig and rebuilt on SIGHUP
// (Reload reopens the GeoIP database; limiter and detector state survive a reload).
//
// Screen runs before authentication: the country rule and the per-address limit on failed
// credentials. Order inside Admit: country first (cheapest, and a blocked country must not consume
// anyone's rate limit), anomaly next (it counts attempts, refused or not), limits last.
// Thread-safety: every method may be called from any thread; rules are an immutable
// snapshot swapped under a mutex, limiter and detector lock themselves.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/status.h"
#include "fcgi/base/stages.h"
#include "fcgi/config.h"
#include "fcgi/http/request.h"
#include "fcgi/http/router.h"
#include "fcgi/policy/anomaly_detector.h"
#include "fcgi/policy/auth_failure_limiter.h"
#include "fcgi/policy/client_address.h"
#include "fcgi/policy/clock.h"
#include "fcgi/policy/country_policy.h"
#include "fcgi/policy/geoip_database.h"
#include "fcgi/policy/limits.h"
#include "fcgi/policy/rate_limiter.h"

namespace deepgate::fcgi::policy {

// The limits that apply to a principal: its key's (or our JWT's) limits where set, else the
// configured defaults. Rate-limit state is keyed on Principal::subject (the key id for our
// keys and our JWTs, so both share one bucket). Tests pass their own lookup.
using LimitLookup = std::function<LimitSpec(const Principal& principal, const RateLimitConfig& defaults)>;
LimitSpec DefaultLimits(const Principal& principal, const RateLimitConfig& defaults);
AnomalySettings AnomalySettingsOf(const AnomalyConfig& config);

class PolicyAdmission final : public AdmissionPolicy {
 public:
  // Fails when the configured GeoIP database cannot be opened: country rules that silently
  // stop working would be an export-control hole. `limits`: where rate-limit and anomaly state
  // lives (RedisLimits for limits.backend = redis); null = this process (LocalLimits).
  [[nodiscard]] static Result<std::unique_ptr<PolicyAdmission>> Create(const WorkerConfig& config,
                                                                       const MonotonicClock& clock,
                                                                       LimitLookup lookup = DefaultLimits,
                                                                       std::unique_ptr<Limits> limits = nullptr);
  // Applies the reloadable policy keys and reopens the database; on error keeps the old rules.
  [[nodiscard]] Status Reload(const WorkerConfig& config);

  ClientOrigin Locate(const Request& request) override;
  Admission Admit(const Principal& principal, const Route& route, const Request& request,
                  const ClientOrigin& origin) override;
  void Release(const Principal& principal, const Route& route, const RequestUsage& usage,
               const std::string& lease) override;
  // Country rule, then the per-address failed-credential limit (rate_limits.auth_failures_per_minute).
  Admission Screen(const Request& request, const ClientOrigin& origin) override;
  void NoteAuthFailure(const ClientOrigin& origin) override;

  uint64_t anomalies() const { return limits_->anomalies(); }

 private:
  struct Rules {
    RateLimitConfig limits;
    CountryPolicy countries{CountryRules{}};
    std::vector<IpNetwork> proxies;
    std::shared_ptr<const GeoIpDatabase> geo;  // null: no country lookups
  };
  PolicyAdmission(const MonotonicClock& clock, LimitLookup lookup, std::shared_ptr<const Rules> rules,
                  std::unique_ptr<Limits> limits);
  [[nodiscard]] static Result<std::shared_ptr<const Rules>> BuildRules(const WorkerConfig& config);
  std::shared_ptr<const Rules> rules() const;

  LimitLookup lookup_;
  mutable std::mutex mu_;
  std::shared_ptr<const Rules> rules_;  // GUARDED_BY(mu_)
  std::unique_ptr<Limits> limits_;
  AuthFailureLimiter failures_;
};

}  // namespace deepgate::fcgi::policy
