// RedisScript: a Lua script run with EVALSHA. Its SHA1 is computed here from the source, so
// the first call needs no round trip; a server that does not know it (restarted, flushed)
// answers NOSCRIPT and RedisPool::Eval loads it with SCRIPT LOAD and calls again.
// Thread-safety: immutable after construction.
#pragma once

#include <string>

namespace deepgate::fcgi::redis {

class RedisScript {
 public:
  RedisScript(std::string name, std::string source);
  const std::string& name() const { return name_; }      // for error messages
  const std::string& source() const { return source_; }
  const std::string& sha1() const { return sha1_; }      // lower-case hex, as SCRIPT LOAD answers

 private:
  std::string name_;
  std::string source_;
  std::string sha1_;
};

}  // namespace deepgate::fcgi::redis
