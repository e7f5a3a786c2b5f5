#include "fcgi/redis/redis_reply.h"

#include <hiredis/hiredis.h>

#include <charconv>

namespace deepgate::fcgi::redis {

int64_t RedisReply::AsInt(int64_t fallback) const {
  if (kind == Kind::kInteger) return integer;
  if (kind != Kind::kString) return fallback;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  return ec == std::errc() && end == text.data() + text.size() ? v : fallback;
}

const RedisReply& RedisReply::At(size_t i) const {
  static const RedisReply kNil;
  return i < items.size() ? items[i] : kNil;
}

RedisReply RedisReply::FromHiredis(const redisReply& r) {
  RedisReply out;
  switch (r.type) {
    case REDIS_REPLY_STRING: out.kind = Kind::kString; break;
    case REDIS_REPLY_STATUS: out.kind = Kind::kStatus; break;
    case REDIS_REPLY_ERROR: out.kind = Kind::kError; break;
    case REDIS_REPLY_INTEGER: out.kind = Kind::kInteger; break;
    case REDIS_REPLY_ARRAY: out.kind = Kind::kArray; break;
    default: out.kind = Kind::kNil; break;
  }
  if (out.kind == Kind::kString || out.kind == Kind::kStatus || out.kind == Kind::kError)
    out.text.assign(r.str, r.len);
  out.integer = r.integer;
  if (out.kind == Kind::kArray) {
    out.items.reserve(r.elements);
    for (size_t i = 0; i < r.elements; ++i) out.items.push_back(FromHiredis(*r.element[i]));
  }
  return out;
}

}  // namespace deepgate::fcgi::redis
