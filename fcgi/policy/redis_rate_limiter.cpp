#include "fcgi/policy/redis_rate_limiter.h"

#include <algorithm>
#include <cstdlib>

#include "fcgi/policy/redis_limit_scripts.h"

namespace deepgate::fcgi::policy {
namespace {

double Number(const redis::RedisReply& r) { return std::strtod(r.text.c_str(), nullptr); }

Status Malformed(const char* script, const redis::RedisReply& r) {
  return Status::Unavailable(std::string("redis: ") + script + " answered " +
                             (r.is_error() ? r.text : std::string("an unexpected reply")));
}

}  // namespace

std::string RedisRateLimiter::Key(const std::string& subject, const char* kind) const {
  return prefix_ + "{" + subject + "}:" + kind;
}

Result<RedisDecision> RedisRateLimiter::Admit(const std::string& subject, const LimitSpec& spec,
                                               const std::string& lease_id, const AnomalySettings& anomaly,
                                               int64_t want, int64_t unreported) {
  DG_ASSIGN_OR_RETURN(
      redis::RedisReply r,
      pool_.Eval(DecideScript(), {Key(subject, "rq"), Key(subject, "tk"), Key(subject, "ls"), Key(subject, "an")},
                 {std::to_string(spec.requests_per_minute), std::to_string(spec.tokens_per_minute),
                  std::to_string(spec.max_concurrent), lease_id, std::to_string(lease_.count()),
                  std::to_string(anomaly.enabled ? anomaly.history_minutes : 0),
                  std::to_string(anomaly.floor_per_minute), std::to_string(want), std::to_string(unreported)}));
  if (r.kind != redis::RedisReply::Kind::kArray || r.items.size() != 11) return Malformed("decide", r);
  RedisDecision out;
  if (r.At(5).AsInt() == 1)
    out.alert = AnomalyAlert{r.At(6).AsInt(), Number(r.At(7)), Number(r.At(8)), Number(r.At(9))};
  RateDecision& d = out.decision;
  d.admitted = r.At(0).AsInt() == 1;
  if (!d.admitted) {
    d.reason = r.At(1).text;
    d.retry_after_s = RetryAfterSeconds(Number(r.At(2)));
  }
  // Seconds to full: (capacity - level) at capacity/60 per second, as TokenBucket::SecondsUntilFull.
  auto add = [&](const char* kind, int64_t per_minute, double level) {
    if (per_minute <= 0) return;
    const double cap = static_cast<double>(per_minute);
    AppendLimitHeaders(d.headers, kind, cap, level, level >= cap ? 0 : (cap - level) * 60.0 / cap);
  };
  out.granted = r.At(10).AsInt();
  out.requests_level = Number(r.At(3));
  // The chunk's unspent part is still this subject's to spend: it counts as remaining.
  add("requests", spec.requests_per_minute, out.requests_level + static_cast<double>(std::max<int64_t>(out.granted - 1, 0)));
  add("tokens", spec.tokens_per_minute, Number(r.At(4)));
  return out;
}

Status RedisRateLimiter::Finish(const std::string& subject, const LimitSpec& spec, const std::string& lease_id,
                                int64_t tokens_used) {
  DG_ASSIGN_OR_RETURN(redis::RedisReply r,
                      pool_.Eval(FinishScript(), {Key(subject, "tk"), Key(subject, "ls")},
                                 {std::to_string(spec.tokens_per_minute), lease_id, std::to_string(tokens_used)}));
  if (r.is_error()) return Malformed("finish", r);
  return Status::Ok();
}

Result<int64_t> RedisRateLimiter::Renew(const std::string& subject, const std::vector<std::string>& lease_ids) {
  std::vector<std::string> args{std::to_string(lease_.count())};
  args.insert(args.end(), lease_ids.begin(), lease_ids.end());
  DG_ASSIGN_OR_RETURN(redis::RedisReply r, pool_.Eval(RenewScript(), {Key(subject, "ls")}, args));
  if (r.kind != redis::RedisReply::Kind::kInteger) return Malformed("renew", r);
  return r.integer;
}

}  // namespace deepgate::fcgi::policy
