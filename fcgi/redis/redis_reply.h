// RedisReply: one RESP reply as a plain value, copied out of hiredis's redisReply so no
// library object outlives the call that produced it. Errors (`-ERR ...`) are a reply kind,
// not a failed call: a script that refuses something answers with data, a transport failure
// is a Status from RedisConnection.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

struct redisReply;

namespace deepgate::fcgi::redis {

struct RedisReply {
  enum class Kind { kNil, kString, kStatus, kError, kInteger, kArray };
  Kind kind = Kind::kNil;
  std::string text;                // kString, kStatus, kError
  int64_t integer = 0;             // kInteger
  std::vector<RedisReply> items;   // kArray

  bool is_error() const { return kind == Kind::kError; }
  // An integer, or a string that holds one (scripts return numbers as either); `fallback` otherwise.
  int64_t AsInt(int64_t fallback = 0) const;
  // Item i of an array, or a nil reply when out of range.
  const RedisReply& At(size_t i) const;

  static RedisReply FromHiredis(const redisReply& r);
};

}  // namespace deepgate::fcgi::redis
