// RedisPool: a worker's few Redis connections, shared by its acceptor threads. A call takes
// an idle connection (or dials one while fewer than `size` are open, or waits at most the
// timeout for one), runs, and hands it back unless it broke.
//
// Failure and recovery: a failed dial or a transport error on a call starts a backoff
// (100 ms, doubling to `max_backoff`) during which calls fail at once with Unavailable
// instead of each paying a connect timeout; idle connections are dropped then (after a
// restart they are all dead). The first call after the backoff dials again; success resets
// it. So a dead Redis costs the request path nothing but a clock read, and a returning one
// is used again within max_backoff.
//
// Thread-safety: every method from any thread; one mutex guards the idle list and the
// backoff, never held during network I/O.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/status.h"
#include "fcgi/redis/redis_connection.h"
#include "fcgi/redis/redis_script.h"

namespace deepgate::fcgi::redis {

struct RedisOptions {
  RedisEndpoint endpoint;
  std::chrono::milliseconds timeout{100};       // connect and each command
  std::string password;                         // "" = no AUTH; never logged
  int size = 4;                                 // connections at most
  std::chrono::milliseconds max_backoff{2000};  // longest pause between reconnect attempts
};

class RedisPool {
 public:
  explicit RedisPool(RedisOptions options) : options_(std::move(options)) {}
  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  [[nodiscard]] Result<RedisReply> Command(const std::vector<std::string>& args);
  // EVALSHA script keys... args...; NOSCRIPT → SCRIPT LOAD and once more. A Lua error is an
  // error reply (is_error), not a failed Status.
  [[nodiscard]] Result<RedisReply> Eval(const RedisScript& script, const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args);

  const RedisEndpoint& endpoint() const { return options_.endpoint; }
  uint64_t reconnects() const;  // successful dials after the first

 private:
  using Clock = std::chrono::steady_clock;
  // An idle or freshly dialled connection; a failed dial starts the backoff itself.
  [[nodiscard]] Result<std::unique_ptr<RedisConnection>> Acquire();
  void Return(std::unique_ptr<RedisConnection> conn);
  void NoteFailure();
  void NoteFailureLocked();  // REQUIRES(mu_)
  [[nodiscard]] Result<RedisReply> Run(const std::vector<std::string>& args);

  const RedisOptions options_;
  mutable std::mutex mu_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;  // GUARDED_BY(mu_)
  int open_ = 0;                                        // GUARDED_BY(mu_): idle + lent out
  std::chrono::milliseconds backoff_{0};                // GUARDED_BY(mu_): 0 = healthy
  Clock::time_point retry_at_;                          // GUARDED_BY(mu_)
  uint64_t dials_ = 0;                                  // GUARDED_BY(mu_)
};

}  // namespace deepgate::fcgi::redis
