#include "fcgi/redis/redis_connection.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

namespace deepgate::fcgi::redis {
namespace {

timeval ToTimeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// hiredis's error text describes the transport ("Connection refused", "Resource temporarily
// unavailable" for a timeout); it never holds what we sent.
std::string TransportDetail(const redisContext* c) {
  std::string detail = c != nullptr && c->err != 0 ? c->errstr : "no connection";
  if (detail == "Resource temporarily unavailable") detail = "timed out";  // SO_RCVTIMEO expired
  return detail;
}

Status TransportError(const RedisEndpoint& where, const char* what, const redisContext* c) {
  return Status::Unavailable("redis " + where.Describe() + ": " + what + ": " + TransportDetail(c));
}

}  // namespace

std::string RedisEndpoint::Describe() const {
  return unix_path.empty() ? host + ":" + std::to_string(port) : "unix:" + unix_path;
}

Result<RedisEndpoint> ParseRedisUrl(const std::string& url) {
  RedisEndpoint e;
  std::string rest = url;
  if (rest.rfind("unix://", 0) == 0) rest = rest.substr(7);
  else if (rest.rfind("unix:", 0) == 0) rest = rest.substr(5);
  else if (rest.rfind("redis://", 0) == 0) rest = rest.substr(8);
  if (!rest.empty() && rest[0] == '/') {
    e.unix_path = rest;
    return e;
  }
  if (url.rfind("unix:", 0) == 0) return Status::InvalidArgument("redis url '" + url + "': a unix socket path must be absolute");
  if (rest.find('@') != std::string::npos)
    return Status::InvalidArgument("redis url: put the password in redis.password_file, not in the url");
  const size_t colon = rest.rfind(':');
  e.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    const std::string port = rest.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(port) < 1 || std::stoi(port) > 65535)
      return Status::InvalidArgument("redis url '" + url + "': the port must be 1..65535");
    e.port = std::stoi(port);
  }
  if (e.host.empty()) return Status::InvalidArgument("redis url '" + url + "': no host");
  return e;
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Open(const RedisEndpoint& endpoint,
                                                               std::chrono::milliseconds timeout,
                                                               const std::string& password) {
  const timeval tv = ToTimeval(timeout);
  redisContext* c = endpoint.unix_path.empty() ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv)
                                               : redisConnectUnixWithTimeout(endpoint.unix_path.c_str(), tv);
  if (c == nullptr || c->err != 0) {
    Status st = TransportError(endpoint, "connect", c);
    if (c != nullptr) redisFree(c);
    return st;
  }
  std::unique_ptr<RedisConnection> conn(new RedisConnection(c));
  if (redisSetTimeout(c, tv) != REDIS_OK) return TransportError(endpoint, "set timeout", c);
  if (!password.empty()) {
    DG_ASSIGN_OR_RETURN(RedisReply r, conn->Command({"AUTH", password}));
    // The reply text is Redis's ("WRONGPASS ..."), not ours: it never echoes the password.
    if (r.is_error()) return Status::Unavailable("redis " + endpoint.Describe() + ": AUTH refused: " + r.text);
  }
  return conn;
}

RedisConnection::~RedisConnection() { redisFree(context_); }

Result<RedisReply> RedisConnection::Command(const std::vector<std::string>& args) {
  if (broken_) return Status::Unavailable("redis: connection is broken");
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  void* raw = redisCommandArgv(context_, static_cast<int>(args.size()), argv.data(), lens.data());
  if (raw == nullptr) {
    broken_ = true;
    return Status::Unavailable("redis: " + args[0] + ": " + TransportDetail(context_));
  }
  std::unique_ptr<redisReply, void (*)(void*)> reply(static_cast<redisReply*>(raw), freeReplyObject);
  return RedisReply::FromHiredis(*reply);
}

}  // namespace deepgate::fcgi::redis
