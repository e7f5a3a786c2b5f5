// EngineShare (fcgi/policy/engine_share.h): sequences and reserved tokens per subject, and the
// engine share, one bound per test; and the connection watch's write deadline and close check.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "fcgi/policy/engine_share.h"
#include "fcgi/server/connection_watch.h"

namespace deepgate::fcgi::policy {
namespace {

TEST(EngineShare, CountsEverySequenceOfARequestAgainstTheConcurrencyLimit) {
  EngineShare share;
  EngineShare::Ticket t;
  ShareRefusal why;
  EXPECT_FALSE(share.Reserve("key:a", 16, 16, {8, 0, 0}, &t, &why));  // n = 16 > 8
  EXPECT_EQ(why.reason, "max_concurrent");
  EXPECT_EQ(why.status.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(share.sequences_held("key:a"), 0);
  EXPECT_TRUE(share.Reserve("key:a", 8, 16, {8, 0, 0}, &t, &why));
  EngineShare::Ticket more;
  EXPECT_FALSE(share.Reserve("key:a", 1, 1, {8, 0, 0}, &more, &why));
}

TEST(EngineShare, ReservesPromptPlusMaxTokensAgainstTheTokenBudget) {
  EngineShare share;
  EngineShare::Ticket a, b;
  ShareRefusal why;
  EXPECT_FALSE(share.Reserve("key:a", 1, 5000, {0, 4000, 0}, &a, &why));  // larger than a minute's budget
  EXPECT_EQ(why.reason, "tokens_per_minute");
  EXPECT_TRUE(share.Reserve("key:a", 1, 3000, {0, 4000, 0}, &a, &why));
  EXPECT_FALSE(share.Reserve("key:a", 1, 1500, {0, 4000, 0}, &b, &why));  // 3000 already in flight
  a.Release();
  EXPECT_TRUE(share.Reserve("key:a", 1, 1500, {0, 4000, 0}, &b, &why));
}

TEST(EngineShare, KeepsRoomInTheEngineForOthers) {
  EngineShare share;
  EngineShare::Ticket a, b, other;
  ShareRefusal why;
  EXPECT_TRUE(share.Reserve("key:a", 2, 10, {0, 0, 2}, &a, &why));
  EXPECT_FALSE(share.Reserve("key:a", 1, 10, {0, 0, 2}, &b, &why));
  EXPECT_EQ(why.reason, "engine_share");
  EXPECT_EQ(why.status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(share.Reserve("key:b", 2, 10, {0, 0, 2}, &other, &why));  // another subject still fits
}

TEST(EngineShare, ATicketGivesBackWhatItHeldWhenItGoes) {
  EngineShare share;
  ShareRefusal why;
  {
    EngineShare::Ticket t;
    ASSERT_TRUE(share.Reserve("key:a", 3, 30, {4, 40, 4}, &t, &why));
    EngineShare::Ticket moved = std::move(t);
    EXPECT_EQ(share.sequences_held("key:a"), 3);
  }
  EXPECT_EQ(share.sequences_held("key:a"), 0);
}

}  // namespace
}  // namespace deepgate::fcgi::policy

namespace deepgate::fcgi {
namespace {

TEST(ConnectionWatch, AWriteThatMakesNoProgressFailsAfterTheDeadline) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ASSERT_TRUE(SetWriteTimeout(fds[0], 200));
  const std::string chunk(64 * 1024, 'x');
  const auto start = std::chrono::steady_clock::now();
  ssize_t n = 0;
  while ((n = ::write(fds[0], chunk.data(), chunk.size())) > 0) {  // the peer never reads
    ASSERT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  }
  EXPECT_EQ(n, -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(200));
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(ConnectionWatch, SeesThePeerCloseWithoutReadingOrBlocking) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_FALSE(PeerClosed(fds[0]));
  ASSERT_EQ(::write(fds[1], "x", 1), 1);  // pending data is not a close
  EXPECT_FALSE(PeerClosed(fds[0]));
  ::close(fds[1]);
  EXPECT_TRUE(PeerClosed(fds[0]));
  ::close(fds[0]);
}

}  // namespace
}  // namespace deepgate::fcgi
