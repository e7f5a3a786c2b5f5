#include "fcgi/policy/policy_admission.h"

#include <cstdio>

namespace deepgate::fcgi::policy {
namespace {


const char* LimitName(const std::string& reason) {
  if (reason == "tokens_per_minute") return "tokens per minute";
  if (reason == "max_concurrent") return "concurrent requests";
  return "requests per minute";
}

}  // namespace

AnomalySettings AnomalySettingsOf(const AnomalyConfig& c) { return {c.enabled, c.floor_per_minute, c.history_minutes}; }

LimitSpec DefaultLimits(const Principal& p, const RateLimitConfig& d) {
  // A key's own limit wins; 0 on the key (and every external JWT) means the configured default.
  return {p.requests_per_min > 0 ? p.requests_per_min : d.requests_per_minute,
          p.tokens_per_min > 0 ? p.tokens_per_min : d.tokens_per_minute,
          p.max_concurrent > 0 ? static_cast<int>(p.max_concurrent) : d.max_concurrent};
}

Result<std::shared_ptr<const PolicyAdmission::Rules>> PolicyAdmission::BuildRules(const WorkerConfig& config) {
  auto rules = std::make_shared<Rules>();
  rules->limits = config.rate_limits;
  rules->countries = CountryPolicy(
      CountryRules{config.geoip.allow_countries, config.geoip.deny_countries, config.geoip.allow_unknown});
  for (const std::string& p : config.trusted_proxies) {
    DG_ASSIGN_OR_RETURN(IpNetwork n, IpNetwork::Parse(p));
    rules->proxies.push_back(n);
  }
  if (!config.geoip.database.empty()) {
    DG_ASSIGN_OR_RETURN(std::unique_ptr<GeoIpDatabase> db, GeoIpDatabase::Open(config.geoip.database));
    rules->geo = std::move(db);
  }
  return std::shared_ptr<const Rules>(std::move(rules));
}

PolicyAdmission::PolicyAdmission(const MonotonicClock& clock, LimitLookup lookup, std::shared_ptr<const Rules> rules,
                                 std::unique_ptr<Limits> limits)
    : lookup_(std::move(lookup)), rules_(std::move(rules)), limits_(std::move(limits)), failures_(clock) {}

Result<std::unique_ptr<PolicyAdmission>> PolicyAdmission::Create(const WorkerConfig& config,
                                                                  const MonotonicClock& clock, LimitLookup lookup,
                                                                  std::unique_ptr<Limits> limits) {
  DG_ASSIGN_OR_RETURN(std::shared_ptr<const Rules> rules, BuildRules(config));
  if (!limits) limits = std::make_unique<LocalLimits>(clock, AnomalySettingsOf(config.anomaly));
  return std::unique_ptr<PolicyAdmission>(
      new PolicyAdmission(clock, std::move(lookup), std::move(rules), std::move(limits)));
}

Status PolicyAdmission::Reload(const WorkerConfig& config) {
  DG_ASSIGN_OR_RETURN(std::shared_ptr<const Rules> rules, BuildRules(config));
  limits_->Configure(AnomalySettingsOf(config.anomaly));
  std::lock_guard<std::mutex> lock(mu_);
  rules_ = std::move(rules);
  return Status::Ok();
}

std::shared_ptr<const PolicyAdmission::Rules> PolicyAdmission::rules() const {
  std::lock_guard<std::mutex> lock(mu_);
  return rules_;
}

ClientOrigin PolicyAdmission::Locate(const Request& request) {
  const auto r = rules();
  ClientOrigin origin;
  origin.ip = ResolveClientAddress(request.remote_addr, request.Header("x-forwarded-for"), r->proxies);
  if (r->geo) origin.country = r->geo->CountryOf(origin.ip);
  return origin;
}

namespace {
// 403 country_blocked when the rules refuse the client's country; nothing otherwise.
bool RefuseCountry(const CountryPolicy& countries, const ClientOrigin& origin, Admission* a) {
  const CountryVerdict v = countries.Check(origin.country);
  if (v.allowed) return false;
  a->refusal = Refusal(RefusalReason::kCountryBlocked,
                       Status::PermissionDenied("Access from your country or region is not allowed"),
                       v.reason + (origin.country.empty() ? "" : ":" + origin.country))
                   .WithErrorCode("country_blocked");
  return true;
}
}  // namespace

Admission PolicyAdmission::Screen(const Request&, const ClientOrigin& origin) {
  const auto r = rules();
  Admission a;
  if (r->geo && RefuseCountry(r->countries, origin, &a)) return a;
  int retry_after_s = 0;
  if (!failures_.Allows(origin.ip, r->limits.auth_failures_per_minute, &retry_after_s)) {
    a.refusal = Refusal(RefusalReason::kClientThrottled,
                        Status::ResourceExhausted("Too many failed authentication attempts from your address; "
                                                  "retry after " + std::to_string(retry_after_s) + " s"))
                    .WithRetryAfter(retry_after_s);
  }
  return a;
}

void PolicyAdmission::NoteAuthFailure(const ClientOrigin& origin) {
  failures_.NoteFailure(origin.ip, rules()->limits.auth_failures_per_minute);
}

Admission PolicyAdmission::Admit(const Principal& principal, const Route&, const Request&, const ClientOrigin& origin) {
  const auto r = rules();
  Admission a;
  if (r->geo && RefuseCountry(r->countries, origin, &a)) return a;
  LimitVerdict v = limits_->Admit(principal.subject, lookup_(principal, r->limits));
  if (const auto& alert = v.alert) {
    char text[160];
    std::snprintf(text, sizeof text, "%lld requests this minute > threshold %.1f (mean %.1f, stddev %.1f)",
                  static_cast<long long>(alert->count), alert->threshold, alert->mean, alert->stddev);
    a.anomaly = text;
  }
  if (v.unavailable) {
    a.refusal = Refusal(RefusalReason::kLimitsUnavailable,
                        Status::Unavailable("Rate limits cannot be checked right now; retry shortly"))
                    .WithErrorCode("limits_unavailable");
    return a;
  }
  RateDecision& d = v.decision;
  a.headers = std::move(d.headers);
  a.lease = std::move(v.lease);
  if (!d.admitted) {
    a.refusal = Refusal(RefusalReason::kRateLimited,
                        Status::ResourceExhausted(std::string("Rate limit reached for ") + LimitName(d.reason) +
                                                  "; retry after " + std::to_string(d.retry_after_s) + " s"),
                        d.reason)
                    .WithRetryAfter(d.retry_after_s);
  }
  return a;
}

void PolicyAdmission::Release(const Principal& principal, const Route&, const RequestUsage& usage,
                              const std::string& lease) {
  limits_->Finish(principal.subject, lookup_(principal, rules()->limits), lease,
                  usage.prompt_tokens + usage.completion_tokens);
}

}  // namespace deepgate::fcgi::policy
