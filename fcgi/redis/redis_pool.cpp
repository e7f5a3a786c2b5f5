#include "fcgi/redis/redis_pool.h"

#include <algorithm>

namespace deepgate::fcgi::redis {
namespace {
constexpr std::chrono::milliseconds kFirstBackoff{100};
}

Result<std::unique_ptr<RedisConnection>> RedisPool::Acquire() {
  {
    std::unique_lock lock(mu_);
    if (backoff_.count() > 0 && Clock::now() < retry_at_)
      return Status::Unavailable("redis " + options_.endpoint.Describe() + " is unreachable (reconnecting)");
    const auto deadline = Clock::now() + options_.timeout;
    while (idle_.empty() && open_ >= options_.size)
      if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= options_.size)
        return Status::Unavailable("redis: all " + std::to_string(options_.size) + " connections busy");
    if (!idle_.empty()) {
      std::unique_ptr<RedisConnection> c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_;  // a slot for the dial below, taken before the lock goes
  }
  Result<std::unique_ptr<RedisConnection>> dialled =
      RedisConnection::Open(options_.endpoint, options_.timeout, options_.password);
  std::lock_guard lock(mu_);
  if (!dialled.ok()) {
    --open_;
    NoteFailureLocked();
  } else {
    ++dials_;
  }
  return dialled;
}

void RedisPool::Return(std::unique_ptr<RedisConnection> conn) {
  std::lock_guard lock(mu_);
  if (conn->broken()) {
    --open_;
  } else {
    idle_.push_back(std::move(conn));
    backoff_ = std::chrono::milliseconds(0);
  }
  returned_.notify_one();
}

void RedisPool::NoteFailure() {
  std::lock_guard lock(mu_);
  NoteFailureLocked();
}

void RedisPool::NoteFailureLocked() {
  open_ -= static_cast<int>(idle_.size());
  idle_.clear();  // after a restart or a network cut they are all dead
  backoff_ = backoff_.count() == 0 ? kFirstBackoff : std::min(backoff_ * 2, options_.max_backoff);
  retry_at_ = Clock::now() + backoff_;
  returned_.notify_all();
}

Result<RedisReply> RedisPool::Run(const std::vector<std::string>& args) {
  DG_ASSIGN_OR_RETURN(std::unique_ptr<RedisConnection> c, Acquire());
  Result<RedisReply> reply = c->Command(args);
  const bool broke = c->broken();
  Return(std::move(c));
  if (broke) NoteFailure();
  return reply;
}

Result<RedisReply> RedisPool::Command(const std::vector<std::string>& args) { return Run(args); }

Result<RedisReply> RedisPool::Eval(const RedisScript& script, const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args) {
  std::vector<std::string> argv{"EVALSHA", script.sha1(), std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  DG_ASSIGN_OR_RETURN(RedisReply r, Run(argv));
  if (!r.is_error() || r.text.rfind("NOSCRIPT", 0) != 0) return r;
  DG_ASSIGN_OR_RETURN(RedisReply loaded, Run({"SCRIPT", "LOAD", script.source()}));
  if (loaded.is_error()) return Status::Internal("redis: SCRIPT LOAD " + script.name() + ": " + loaded.text);
  return Run(argv);
}

uint64_t RedisPool::reconnects() const {
  std::lock_guard lock(mu_);
  return dials_ > 0 ? dials_ - 1 : 0;
}

}  // namespace deepgate::fcgi::redis
