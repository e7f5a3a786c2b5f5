// The Redis connection layer against a real redis-server: commands, AUTH, timeouts against a
// server that never answers, the pool's backoff and recovery, EVALSHA's NOSCRIPT reload.
#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <fstream>

#include <gtest/gtest.h>

#include "fcgi/redis/redis_pool.h"
#include "redis_test_server.h"

namespace deepgate::fcgi::redis {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

RedisOptions Options(const std::string& socket, int timeout_ms = 200) {
  RedisOptions o;
  o.endpoint.unix_path = socket;
  o.timeout = milliseconds(timeout_ms);
  o.max_backoff = milliseconds(400);
  return o;
}

TEST(RedisUrl, ParsesUnixAndTcpForms) {
  EXPECT_EQ(ParseRedisUrl("unix:/run/r.sock").value().unix_path, "/run/r.sock");
  EXPECT_EQ(ParseRedisUrl("unix:///run/r.sock").value().unix_path, "/run/r.sock");
  EXPECT_EQ(ParseRedisUrl("/run/r.sock").value().unix_path, "/run/r.sock");
  RedisEndpoint tcp = ParseRedisUrl("redis://10.0.0.5:6380").value();
  EXPECT_EQ(tcp.host, "10.0.0.5");
  EXPECT_EQ(tcp.port, 6380);
  EXPECT_EQ(ParseRedisUrl("db.example").value().port, 6379);
}

TEST(RedisUrl, RefusesPasswordsPortsAndRelativeSockets) {
  EXPECT_FALSE(ParseRedisUrl("redis://user:secret@host:6379").ok());
  EXPECT_EQ(ParseRedisUrl("redis://user:secret@host:6379").status().message().find("secret"), std::string::npos);
  EXPECT_FALSE(ParseRedisUrl("host:0").ok());
  EXPECT_FALSE(ParseRedisUrl("host:99999").ok());
  EXPECT_FALSE(ParseRedisUrl("unix:run/r.sock").ok());
  EXPECT_FALSE(ParseRedisUrl("").ok());
}

TEST(RedisConnectionTest, RunsCommandsAndReturnsTypedReplies) {
  testing::RedisTestServer server("conn");
  DG_START_REDIS(server);
  auto c = RedisConnection::Open({server.socket(), "", 0}, milliseconds(500), "");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ((*c)->Command({"SET", "k", std::string("a\0b", 3)}).value().text, "OK");
  EXPECT_EQ((*c)->Command({"GET", "k"}).value().text, std::string("a\0b", 3));
  EXPECT_EQ((*c)->Command({"INCRBY", "n", "41"}).value().integer, 41);
  EXPECT_EQ((*c)->Command({"GET", "missing"}).value().kind, RedisReply::Kind::kNil);
  RedisReply err = (*c)->Command({"NOSUCHCOMMAND"}).value();
  EXPECT_TRUE(err.is_error());
  EXPECT_FALSE((*c)->broken());  // an error reply is data, the connection stays usable
}

TEST(RedisConnectionTest, AuthenticatesAndNeverEchoesThePassword) {
  const std::string password = "correct-horse-battery-staple-0123456789";
  testing::RedisTestServer server("auth", {"--requirepass", password});
  DG_START_REDIS(server);
  auto good = RedisConnection::Open({server.socket(), "", 0}, milliseconds(500), password);
  ASSERT_TRUE(good.ok()) << good.status().message();
  EXPECT_EQ((*good)->Command({"PING"}).value().text, "PONG");
  auto bad = RedisConnection::Open({server.socket(), "", 0}, milliseconds(500), "wrong-password-wrong-password-xx");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(bad.status().message().find("wrong-password"), std::string::npos);
  auto none = RedisConnection::Open({server.socket(), "", 0}, milliseconds(500), "");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)->Command({"GET", "x"}).value().is_error());  // NOAUTH
}

// A socket that accepts (the kernel's backlog does) and never answers: a hung server.
class SilentSocket {
 public:
  explicit SilentSocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(fd_, 16), 0);
  }
  ~SilentSocket() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }

 private:
  std::string path_;
  int fd_ = -1;
};

TEST(RedisConnectionTest, CommandOnAServerThatNeverAnswersTimesOut) {
  const std::filesystem::path dir = testing::TempDir("redis-silent");
  const std::string path = (dir / "silent.sock").string();
  struct RemoveDir {
    std::filesystem::path d;
    ~RemoveDir() { std::filesystem::remove_all(d); }
  } remove_dir{dir};
  SilentSocket silent(path);
  auto c = RedisConnection::Open({path, "", 0}, milliseconds(150), "");
  ASSERT_TRUE(c.ok()) << c.status().message();
  const auto t0 = Clock::now();
  Result<RedisReply> r = (*c)->Command({"PING"});
  const auto took = Clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("timed out"), std::string::npos) << r.status().message();
  EXPECT_LT(took, milliseconds(1000));
  EXPECT_GE(took, milliseconds(100));
  EXPECT_TRUE((*c)->broken());
}

TEST(RedisConnectionTest, SlowCommandTimesOutAtTheConfiguredBound) {
  testing::RedisTestServer server("slow", {"--enable-debug-command", "local"});
  DG_START_REDIS(server);
  auto c = RedisConnection::Open({server.socket(), "", 0}, milliseconds(150), "");
  ASSERT_TRUE(c.ok());
  const auto t0 = Clock::now();
  Result<RedisReply> r = (*c)->Command({"DEBUG", "SLEEP", "1"});
  ASSERT_FALSE(r.ok()) << (r.ok() ? r->text : "");
  EXPECT_NE(r.status().message().find("timed out"), std::string::npos) << r.status().message();
  EXPECT_LT(Clock::now() - t0, milliseconds(900));
}

TEST(RedisPoolTest, FailsFastWhileDownAndRecoversWhenTheServerReturns) {
  testing::RedisTestServer server("pool");
  DG_START_REDIS(server);
  RedisPool pool(Options(server.socket()));
  ASSERT_TRUE(pool.Command({"SET", "a", "1"}).ok());
  server.Stop();
  EXPECT_FALSE(pool.Command({"GET", "a"}).ok());  // the pooled connection finds the server gone
  const auto t0 = Clock::now();
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(pool.Command({"GET", "a"}).ok());
  EXPECT_LT(Clock::now() - t0, milliseconds(300));  // backoff: no connect attempt per call
  ASSERT_TRUE(server.Start());
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    back = pool.Command({"PING"}).ok();
    if (!back) std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_TRUE(back) << "the pool did not reconnect within 2 s";
  EXPECT_GE(pool.reconnects(), 1u);
}

TEST(RedisPoolTest, HungServerCostsEachCallAtMostTheTimeout) {
  testing::RedisTestServer server("hung");
  DG_START_REDIS(server);
  RedisPool pool(Options(server.socket(), 100));
  ASSERT_TRUE(pool.Command({"PING"}).ok());
  server.Pause();
  const auto t0 = Clock::now();
  EXPECT_FALSE(pool.Command({"PING"}).ok());
  EXPECT_LT(Clock::now() - t0, milliseconds(600));
  server.Resume();
}

TEST(RedisPoolTest, EvalShaReloadsAScriptTheServerForgot) {
  testing::RedisTestServer server("script");
  DG_START_REDIS(server);
  RedisPool pool(Options(server.socket()));
  const RedisScript script("double", "return tonumber(ARGV[1]) * 2");
  Result<RedisReply> first = pool.Eval(script, {}, {"21"});
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(first->integer, 42);  // NOSCRIPT on a fresh server → SCRIPT LOAD → again
  ASSERT_TRUE(pool.Command({"SCRIPT", "FLUSH"}).ok());
  EXPECT_EQ(pool.Eval(script, {}, {"5"}).value().integer, 10);
  EXPECT_EQ(pool.Command({"SCRIPT", "EXISTS", script.sha1()}).value().At(0).integer, 1);
}

}  // namespace
}  // namespace deepgate::fcgi::redis
