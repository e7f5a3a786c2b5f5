// The Lua scripts behind the global limits (fcgi/policy/redis_rate_limiter.h). Each
// decision is ONE script, run atomically by Redis: it reads
// the state, decides and writes in one step, so two workers can never both take the last
// token (no read-then-write from C++). Time is the Redis server's (TIME), so hosts with
// drifting clocks still share one minute. Numbers with fractions travel as strings (Redis
// truncates Lua numbers to integers in replies).
// Thread-safety: immutable scripts.
#pragma once

#include "fcgi/redis/redis_script.h"

namespace deepgate::fcgi::policy {

// One request's whole decision: counts it for the anomaly rule, then checks and takes the
// limits. KEYS: request bucket, token bucket, lease set, anomaly counts.
// ARGV: requests/min, tokens/min, max concurrent (0 = unlimited), lease id, lease ms,
//       anomaly history minutes (0 = anomaly detection off), anomaly floor per minute.
// Returns {admitted 0|1, reason, retry_after_s, request level, token level,
//          alert 0|1, count, mean, stddev, threshold}.
const redis::RedisScript& DecideScript();
// KEYS: token bucket, lease set. ARGV: tokens/min, lease id, tokens used.
// Frees the lease and charges the tokens (the level may go below zero: debt). Returns 1.
const redis::RedisScript& FinishScript();
// KEYS: lease set. ARGV: lease ms, lease id... Pushes each live lease's expiry out; returns
// how many were still held (an expired one is not revived).
const redis::RedisScript& RenewScript();

}  // namespace deepgate::fcgi::policy
