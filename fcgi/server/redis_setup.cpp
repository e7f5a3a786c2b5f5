#include "fcgi/server/redis_setup.h"

#include "fcgi/auth/secrets.h"
#include "fcgi/cache/redis_cache_store.h"
#include "fcgi/policy/policy_admission.h"
#include "fcgi/policy/redis_limits.h"
#include "fcgi/server/worker_log.h"

namespace deepgate::fcgi {

bool RedisState::Probe() {
  Result<redis::RedisReply> r = pool->Command({"PING"});
  if (r.ok() && !r->is_error()) {
    health->NoteSuccess();
    return true;
  }
  health->NoteFailure(r.ok() ? Status::Unavailable("redis: PING answered " + r->text) : r.status());
  return false;
}

Result<std::unique_ptr<RedisState>> OpenRedis(const WorkerConfig& config) {
  if (!config.limits.redis && !config.cache.redis) return std::unique_ptr<RedisState>();
  redis::RedisOptions o;
  DG_ASSIGN_OR_RETURN(o.endpoint, redis::ParseRedisUrl(config.redis.url));
  o.timeout = std::chrono::milliseconds(config.redis.timeout_ms);
  o.size = config.redis.pool_size;
  // A credential or a configured file; LoadSecret checks its mode and never prints its content.
  if (!config.redis.password_file.empty() || std::getenv("CREDENTIALS_DIRECTORY") != nullptr) {
    Result<std::string> password = auth::LoadSecret("redis-password", config.redis.password_file);
    if (password.ok()) o.password = std::move(password).value();
    else if (!config.redis.password_file.empty()) return password.status().WithContext("redis.password_file");
  }
  auto state = std::make_unique<RedisState>();
  if (audit::JournalSocketPresent()) state->journal = std::make_unique<audit::SdJournalWriter>();
  state->fail_closed = config.limits.redis && config.limits.fail_closed;
  const char* fallback = !config.limits.redis ? "cache misses" : state->fail_closed ? "fail_closed" : "local";
  state->health = std::make_unique<audit::BackendHealth>("redis", fallback, state->journal.get());
  const std::string where = o.endpoint.Describe();
  state->pool = std::make_unique<redis::RedisPool>(std::move(o));
  WorkerLog("redis: " + where + (config.limits.redis ? " for limits (on failure: " + std::string(fallback) + ")" : "") +
            (config.cache.redis ? " for the response cache" : "") + (state->Probe() ? "" : "; not reachable yet"));
  return state;
}

std::unique_ptr<policy::Limits> MakeLimits(const WorkerConfig& config, RedisState* state,
                                           const policy::MonotonicClock& clock) {
  if (!config.limits.redis || state == nullptr) return nullptr;
  policy::RedisLimitsOptions o;
  o.key_prefix = config.redis.key_prefix;
  o.lease = std::chrono::seconds(config.limits.lease_seconds);
  o.on_failure = config.limits.fail_closed ? policy::BackendFailure::kFailClosed : policy::BackendFailure::kLocal;
  return std::make_unique<policy::RedisLimits>(*state->pool, *state->health, clock,
                                               policy::AnomalySettingsOf(config.anomaly), o);
}

std::unique_ptr<cache::SharedCacheStore> MakeSharedCacheStore(const WorkerConfig& config, RedisState* state) {
  if (!config.cache.redis || state == nullptr) return nullptr;
  return std::make_unique<cache::RedisCacheStore>(*state->pool, *state->health, config.redis.key_prefix);
}

}  // namespace deepgate::fcgi
