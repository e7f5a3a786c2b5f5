#include "fcgi/server/live_config.h"

#include <gtest/gtest.h>

#include "fcgi/api/test_routes.h"

namespace deepgate::fcgi {
namespace {

TEST(FcgiLiveConfig, ReloadAppliesLiveKeysAndKeepsRestartKeys) {
  WorkerConfig a;
  a.model_path = "/m";
  LiveConfig live(a);
  auto before = live.Get();
  WorkerConfig b = a;
  b.max_body_bytes = 4096;
  b.acceptor_threads = 2;
  ConfigChanges c = live.Reload(b);
  EXPECT_EQ(c.applied, std::vector<std::string>{"max_body_bytes"});
  EXPECT_EQ(c.need_restart, std::vector<std::string>{"acceptor_threads"});
  EXPECT_EQ(live.Get()->max_body_bytes, 4096);
  EXPECT_EQ(live.Get()->acceptor_threads, a.acceptor_threads);
  EXPECT_EQ(before->max_body_bytes, a.max_body_bytes) << "a request's snapshot never changes";
}

TEST(FcgiQueryInt, ReadsBoundedIntegers) {
  EXPECT_EQ(QueryInt("a=1&ms=250", "ms", 7, 0, 1000), 250);
  EXPECT_EQ(QueryInt("ms=x", "ms", 7, 0, 1000), 7);
  EXPECT_EQ(QueryInt("ms=5000", "ms", 7, 0, 1000), 7);
  EXPECT_EQ(QueryInt("xms=5", "ms", 7, 0, 1000), 7);
  EXPECT_EQ(QueryInt("", "ms", 7, 0, 1000), 7);
}

}  // namespace
}  // namespace deepgate::fcgi
