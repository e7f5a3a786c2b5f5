// RedisConnection: one blocking connection to Redis (hiredis's redisContext, owned), with the
// same timeout on connect and on every command, so a server that hangs costs a request at
// most `timeout` per call and never its whole deadline. AUTH runs at connect; the password is
// never part of an error message. After a transport error (timeout, reset, protocol) the
// connection is broken for good: the pool drops it and dials a fresh one. hiredis writes
// with plain write(): the process must ignore SIGPIPE (the worker does, PrepareProcess).
// Thread-safety: none; one thread at a time (the pool hands it out exclusively).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "fcgi/redis/redis_reply.h"

struct redisContext;

namespace deepgate::fcgi::redis {

// Where Redis listens: a unix socket path, or host and port.
struct RedisEndpoint {
  std::string unix_path;  // non-empty: a unix socket
  std::string host;
  int port = 6379;

  std::string Describe() const;  // "unix:/run/redis.sock", "127.0.0.1:6379": for logs
};

// "unix:/path", "unix:///path", a bare absolute path, "redis://host[:port]" or "host:port".
[[nodiscard]] Result<RedisEndpoint> ParseRedisUrl(const std::string& url);

class RedisConnection {
 public:
  // Connects within `timeout`, sets it as the command timeout and, when `password` is
  // non-empty, authenticates. Unavailable when the server cannot be reached or refuses AUTH.
  [[nodiscard]] static Result<std::unique_ptr<RedisConnection>> Open(const RedisEndpoint& endpoint,
                                                                      std::chrono::milliseconds timeout,
                                                                      const std::string& password);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command (binary-safe arguments) and waits at most the timeout for its reply.
  // A Redis error reply is a reply (RedisReply::is_error); a transport failure is Unavailable
  // and leaves the connection broken().
  [[nodiscard]] Result<RedisReply> Command(const std::vector<std::string>& args);
  bool broken() const { return broken_; }

 private:
  explicit RedisConnection(redisContext* context) : context_(context) {}

  redisContext* context_;
  bool broken_ = false;
};

}  // namespace deepgate::fcgi::redis
