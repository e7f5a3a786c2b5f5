#include "fcgi/cache/redis_cache_store.h"

#include <charconv>

namespace deepgate::fcgi::cache {
namespace {

constexpr const char kMagic[] = "dgc1";

// KEYS: entry, subject tag, all tag. ARGV: value, ttl ms, entry key (as tag member).
const redis::RedisScript& PutScript() {
  static const redis::RedisScript s("deepgate_cache_put", R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 2, 3 do
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now)
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[3])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
)lua");
  return s;
}

// KEYS: the tag to empty, the all tag. Deletes every entry the tag names; returns how many
// were still there.
const redis::RedisScript& PurgeScript() {
  static const redis::RedisScript s("deepgate_cache_purge", R"lua(
local n = 0
for _, k in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  n = n + redis.call('DEL', k)
  if KEYS[2] ~= KEYS[1] then redis.call('ZREM', KEYS[2], k) end
end
redis.call('DEL', KEYS[1])
return n
)lua");
  return s;
}

void Field(std::string& out, const std::string& v) {
  out += std::to_string(v.size());
  out += ':';
  out += v;
}

// Reads one <len>:<bytes> field at *pos.
bool ReadField(const std::string& in, size_t* pos, std::string* out) {
  const size_t colon = in.find(':', *pos);
  if (colon == std::string::npos || colon == *pos || colon - *pos > 12) return false;
  size_t len = 0;
  const auto [end, ec] = std::from_chars(in.data() + *pos, in.data() + colon, len);
  if (ec != std::errc() || end != in.data() + colon || len > in.size() - colon - 1) return false;
  out->assign(in, colon + 1, len);
  *pos = colon + 1 + len;
  return true;
}

bool ReadInt(const std::string& in, size_t* pos, int64_t* out) {
  std::string s;
  if (!ReadField(in, pos, &s)) return false;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string EncodeCachedResponse(const CachedResponse& r) {
  std::string out = kMagic;
  Field(out, r.stream ? "1" : "0");
  Field(out, r.body);
  Field(out, r.response_id);
  Field(out, r.model);
  Field(out, std::to_string(r.prompt_tokens));
  Field(out, std::to_string(r.completion_tokens));
  Field(out, std::to_string(r.events.size()));
  for (const std::string& e : r.events) Field(out, e);
  return out;
}

Result<CachedResponse> DecodeCachedResponse(const std::string& in) {
  const Status bad = Status::InvalidArgument("cached response: not in the expected format");
  if (in.compare(0, sizeof kMagic - 1, kMagic) != 0) return bad;
  size_t pos = sizeof kMagic - 1;
  CachedResponse r;
  std::string stream;
  int64_t events = 0;
  if (!ReadField(in, &pos, &stream) || !ReadField(in, &pos, &r.body) || !ReadField(in, &pos, &r.response_id) ||
      !ReadField(in, &pos, &r.model) || !ReadInt(in, &pos, &r.prompt_tokens) ||
      !ReadInt(in, &pos, &r.completion_tokens) || !ReadInt(in, &pos, &events) || events < 0 ||
      static_cast<size_t>(events) > in.size())
    return bad;
  r.stream = stream == "1";
  r.events.resize(static_cast<size_t>(events));
  for (std::string& e : r.events)
    if (!ReadField(in, &pos, &e)) return bad;
  if (pos != in.size()) return bad;
  return r;
}

template <typename T>
Result<T> RedisCacheStore::Noted(Result<T> r) {
  if (r.ok()) health_.NoteSuccess();
  else health_.NoteFailure(r.status());
  return r;
}

Result<std::optional<CachedResponse>> RedisCacheStore::Get(const std::string& key) {
  DG_ASSIGN_OR_RETURN(redis::RedisReply r, Noted(pool_.Command({"GET", prefix_ + "c:" + key})));
  if (r.kind != redis::RedisReply::Kind::kString) return std::optional<CachedResponse>();
  Result<CachedResponse> decoded = DecodeCachedResponse(r.text);
  if (!decoded.ok()) return std::optional<CachedResponse>();  // a miss, never a wrong answer
  return std::optional<CachedResponse>(std::move(decoded).value());
}

Status RedisCacheStore::Put(const std::string& key, const std::string& subject, const CachedResponse& response,
                            std::chrono::seconds ttl) {
  const std::string entry = prefix_ + "c:" + key;
  DG_ASSIGN_OR_RETURN(redis::RedisReply r,
                      Noted(pool_.Eval(PutScript(), {entry, prefix_ + "ct:" + subject, prefix_ + "ct"},
                                       {EncodeCachedResponse(response), std::to_string(ttl.count() * 1000), entry})));
  if (r.is_error()) return Status::Unavailable("redis: cache put: " + r.text);
  return Status::Ok();
}

Result<size_t> RedisCacheStore::PurgeSubject(const std::string& subject) {
  DG_ASSIGN_OR_RETURN(redis::RedisReply r,
                      Noted(pool_.Eval(PurgeScript(), {prefix_ + "ct:" + subject, prefix_ + "ct"}, {})));
  if (r.is_error()) return Status::Unavailable("redis: cache purge: " + r.text);
  return static_cast<size_t>(r.AsInt());
}

Result<size_t> RedisCacheStore::PurgeAll() {
  DG_ASSIGN_OR_RETURN(redis::RedisReply r, Noted(pool_.Eval(PurgeScript(), {prefix_ + "ct", prefix_ + "ct"}, {})));
  if (r.is_error()) return Status::Unavailable("redis: cache purge: " + r.text);
  return static_cast<size_t>(r.AsInt());
}

}  // namespace deepgate::fcgi::cache
