#include "fcgi/policy/redis_limit_scripts.h"

namespace deepgate::fcgi::policy {
namespace {

// Shared prelude: server time in ms and a token bucket kept as a hash {l = level, t = ms}.
// A bucket holds a minute's worth (capacity = per_minute) and refills per_minute per 60 s,
// exactly fcgi/policy/token_bucket.h; a missing key is a full bucket, so a key expires once
// it would have refilled (nothing is stored for idle subjects).
constexpr const char* kPrelude = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function level(key, cap)
  local v = redis.call('HMGET', key, 'l', 't')
  local l, ts = tonumber(v[1]), tonumber(v[2])
  if l == nil or ts == nil then return cap end
  if now > ts then l = l + (now - ts) * cap / 60000 end
  if l > cap then l = cap end
  return l
end
local function save(key, l, cap)
  redis.call('HSET', key, 'l', string.format('%.17g', l), 't', now)
  redis.call('PEXPIRE', key, math.ceil((cap - l) * 60000 / cap) + 1000)
end
local function until_level(l, n, cap)
  if n > cap then n = cap end
  if l >= n then return 0 end
  return (n - l) * 60 / cap
end
)lua";

// Per subject one hash for the anomaly rule: field m<minute> = requests that minute, 'first'
// = first minute seen, 'alerted' = the minute an alert was raised, and the baseline of the
// current minute (sm = its minute, mean, sd) computed once per minute, so a request costs an
// increment, not a pass over the history. Minutes without requests count as 0 once the
// subject has been seen, as in fcgi/policy/anomaly_detector.h.
constexpr const char* kDecide = R"lua(
local function observe(key, hist, floor, n)
  local m = math.floor(now / 60000)
  local v = redis.call('HMGET', key, 'first', 'alerted', 'sm', 'mean', 'sd')
  local first = tonumber(v[1])
  if first == nil then first = m; redis.call('HSET', key, 'first', m) end
  local count = redis.call('HINCRBY', key, 'm' .. m, n)
  redis.call('PEXPIRE', key, (hist + 2) * 60000)
  if tonumber(v[2]) == m then return {0, count, '0', '0', '0'} end
  local mean, sd = tonumber(v[4]), tonumber(v[5])
  if tonumber(v[3]) ~= m or mean == nil or sd == nil then
    local from = math.max(first, m - hist)
    local n, sum, sq = m - from, 0, 0
    mean, sd = 0, 0
    if n > 0 then
      local fields = {}
      for i = from, m - 1 do fields[#fields + 1] = 'm' .. i end
      local counts = redis.call('HMGET', key, unpack(fields))
      for i = 1, n do counts[i] = tonumber(counts[i]) or 0; sum = sum + counts[i] end
      mean = sum / n
      for i = 1, n do sq = sq + (counts[i] - mean) * (counts[i] - mean) end
      sd = math.sqrt(sq / n)
    end
    redis.call('HSET', key, 'sm', m, 'mean', string.format('%.17g', mean), 'sd', string.format('%.17g', sd))
    for _, f in ipairs(redis.call('HKEYS', key)) do  -- once a minute: drop minutes out of the window
      local fm = string.sub(f, 1, 1) == 'm' and tonumber(string.sub(f, 2)) or nil
      if fm and fm < m - hist then redis.call('HDEL', key, f) end
    end
  end
  local threshold = math.max(mean + 3 * sd, floor)
  if count <= threshold then return {0, count, '0', '0', '0'} end
  redis.call('HSET', key, 'alerted', m)
  return {1, count, string.format('%.17g', mean), string.format('%.17g', sd), string.format('%.17g', threshold)}
end

-- `want` > 1: the worker asks for a chunk of the request budget to spend locally; it gets
-- it only while at least half the request bucket would remain and at least half the token
-- bucket does, else one request as usual.
local function admit(rpm, tpm, maxc, lease, lease_ms, want)
  local rl = rpm > 0 and level(KEYS[1], rpm) or 0
  local granted = 1
  local tl = tpm > 0 and level(KEYS[2], tpm) or 0
  local reason, retry = '', 0
  if maxc > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
    if redis.call('ZCARD', KEYS[3]) >= maxc then reason, retry = 'max_concurrent', 1 end
  end
  if reason == '' and tpm > 0 and tl <= 0 then
    reason, retry = 'tokens_per_minute', until_level(tl, 1, tpm)
  end
  if reason == '' and rpm > 0 then
    if rl < 1 then reason, retry = 'requests_per_minute', until_level(rl, 1, rpm)
    else
      if want > 1 and rl - want >= rpm / 2 and (tpm <= 0 or tl >= tpm / 2) then granted = want end
      rl = rl - granted; save(KEYS[1], rl, rpm)
    end
  end
  if reason == '' and maxc > 0 then
    redis.call('ZADD', KEYS[3], now + lease_ms, lease)
    redis.call('PEXPIRE', KEYS[3], lease_ms)
  end
  return {reason == '' and 1 or 0, reason, string.format('%.17g', retry), string.format('%.17g', rl),
          string.format('%.17g', tl)}, reason == '' and granted or 0
end

-- ARGV[8]: the chunk wanted; ARGV[9]: requests this worker admitted from earlier chunks and
-- has not counted yet (they join this minute's anomaly count now).
local hist = tonumber(ARGV[6])
local seen = hist > 0 and observe(KEYS[4], hist, tonumber(ARGV[7]), 1 + tonumber(ARGV[9])) or {0, 0, '0', '0', '0'}
local out, granted = admit(tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]),
                           tonumber(ARGV[8]))
for _, x in ipairs(seen) do out[#out + 1] = x end
out[#out + 1] = granted
return out
)lua";

constexpr const char* kFinish = R"lua(
local tpm, lease, used = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
redis.call('ZREM', KEYS[2], lease)
if tpm > 0 and used > 0 then save(KEYS[1], level(KEYS[1], tpm) - used, tpm) end
return 1
)lua";

constexpr const char* kRenew = R"lua(
local lease_ms, held = tonumber(ARGV[1]), 0
for i = 2, #ARGV do
  if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + lease_ms, ARGV[i]) == 1 then held = held + 1 end
end
if held > 0 then redis.call('PEXPIRE', KEYS[1], lease_ms) end
return held
)lua";

redis::RedisScript Build(const char* name, const char* body) { return redis::RedisScript(name, std::string(kPrelude) + body); }

}  // namespace

const redis::RedisScript& DecideScript() {
  static const redis::RedisScript s = Build("deepgate_decide", kDecide);
  return s;
}
const redis::RedisScript& FinishScript() {
  static const redis::RedisScript s = Build("deepgate_finish", kFinish);
  return s;
}
const redis::RedisScript& RenewScript() {
  static const redis::RedisScript s = Build("deepgate_renew", kRenew);
  return s;
}

}  // namespace deepgate::fcgi::policy
