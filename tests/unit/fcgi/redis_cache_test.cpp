// The shared response cache (ResponseCache over RedisCacheStore) against a real redis-server:
// an entry stored by one worker is a hit for another, TTL, scope via the key, purge by
// subject and all from any worker, the per-entry byte bound, the stored format, and a Redis
// that is down or hung degrading to a miss.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "fcgi/cache/redis_cache_store.h"
#include "fcgi/policy/clock.h"
#include "redis_test_server.h"

namespace deepgate::fcgi::cache {
namespace {

using std::chrono::milliseconds;

CachedResponse Answer(const std::string& body) {
  CachedResponse r;
  r.body = body;
  r.response_id = "chatcmpl-1";
  r.model = "tiny";
  r.prompt_tokens = 7;
  r.completion_tokens = 3;
  return r;
}

class RedisCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DG_START_REDIS(server_);
    redis::RedisOptions o;
    o.endpoint.unix_path = server_.socket();
    o.timeout = milliseconds(200);
    o.max_backoff = milliseconds(200);
    pool_ = std::make_unique<redis::RedisPool>(o);
  }
  // One "worker": its own ResponseCache on the shared Redis.
  std::unique_ptr<ResponseCache> Worker(std::chrono::seconds ttl = std::chrono::seconds(60), int64_t max_entry = 4096) {
    return std::make_unique<ResponseCache>(ResponseCacheOptions{ttl, int64_t{1} << 20, max_entry}, clock_,
                                           std::make_unique<RedisCacheStore>(*pool_, health_, "t:"));
  }
  testing::RedisTestServer server_{"cache"};
  std::unique_ptr<redis::RedisPool> pool_;
  audit::BackendHealth health_{"redis", "cache misses", nullptr};
  policy::SteadyClock clock_;
};

TEST(CachedResponseFormat, RoundTripsStreamsAndRefusesGarbage) {
  CachedResponse r = Answer("");
  r.stream = true;
  r.events = {"{\"a\":1}", std::string("b\0:c", 4), "[DONE]"};
  Result<CachedResponse> back = DecodeCachedResponse(EncodeCachedResponse(r));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->stream);
  EXPECT_EQ(back->events, r.events);
  EXPECT_EQ(back->completion_tokens, 3);
  EXPECT_FALSE(DecodeCachedResponse("dgc1" "1:0" "999:x").ok());
  EXPECT_FALSE(DecodeCachedResponse("junk").ok());
  EXPECT_FALSE(DecodeCachedResponse(EncodeCachedResponse(r) + "x").ok());
}

TEST_F(RedisCacheTest, AnswerStoredByOneWorkerIsAHitForAnother) {
  auto a = Worker(), b = Worker();
  EXPECT_EQ(b->Lookup("k1"), nullptr);
  a->Store("k1", "key-a", Answer("{\"x\":1}"));
  auto hit = b->Lookup("k1");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->body, "{\"x\":1}");
  EXPECT_EQ(hit->prompt_tokens, 7);
  EXPECT_EQ(b->stats().hits, 1u);
  EXPECT_EQ(b->stats().misses, 1u);
  EXPECT_EQ(a->stats().stores, 1u);
}

TEST_F(RedisCacheTest, EntriesExpireAfterTheTtl) {
  auto a = Worker(std::chrono::seconds(1));
  a->Store("k", "s", Answer("v"));
  ASSERT_NE(a->Lookup("k"), nullptr);
  std::this_thread::sleep_for(milliseconds(1200));
  EXPECT_EQ(a->Lookup("k"), nullptr);
}

TEST_F(RedisCacheTest, PurgeSubjectOnOneWorkerEmptiesItForAll) {
  auto a = Worker(), b = Worker();
  a->Store("k1", "alice", Answer("1"));
  a->Store("k2", "alice", Answer("2"));
  a->Store("k3", "bob", Answer("3"));
  EXPECT_EQ(b->PurgeSubject("alice"), 2u);
  EXPECT_EQ(a->Lookup("k1"), nullptr);
  EXPECT_EQ(a->Lookup("k2"), nullptr);
  EXPECT_NE(a->Lookup("k3"), nullptr);  // another subject's entry stays
  EXPECT_EQ(b->PurgeSubject("alice"), 0u);
}

TEST_F(RedisCacheTest, PurgeAllOnOneWorkerEmptiesItForAll) {
  auto a = Worker(), b = Worker();
  a->Store("k1", "alice", Answer("1"));
  a->Store("k2", "bob", Answer("2"));
  EXPECT_EQ(b->PurgeAll(), 2u);
  EXPECT_EQ(a->Lookup("k1"), nullptr);
  EXPECT_EQ(a->Lookup("k2"), nullptr);
  EXPECT_EQ(b->stats().purged, 2u);
}

TEST_F(RedisCacheTest, AnswerAboveTheEntryBoundIsNotStored) {
  auto a = Worker(std::chrono::seconds(60), 2048);
  a->Store("big", "s", Answer(std::string(4096, 'x')));
  a->Store("small", "s", Answer(std::string(100, 'x')));
  EXPECT_EQ(a->Lookup("big"), nullptr);
  EXPECT_NE(a->Lookup("small"), nullptr);
  EXPECT_EQ(a->stats().stores, 1u);
}

TEST_F(RedisCacheTest, TagsHoldOnlyLiveEntries) {
  auto a = Worker(std::chrono::seconds(1));
  for (int i = 0; i < 5; ++i) a->Store("old" + std::to_string(i), "s", Answer("x"));
  std::this_thread::sleep_for(milliseconds(1100));
  a->Store("new", "s", Answer("x"));
  EXPECT_EQ(pool_->Command({"ZCARD", "t:ct:s"}).value().integer, 1);
  EXPECT_EQ(pool_->Command({"ZCARD", "t:ct"}).value().integer, 1);
}

TEST_F(RedisCacheTest, RedisDownIsAMissNeverAnError) {
  auto a = Worker();
  a->Store("k", "s", Answer("v"));
  server_.Stop();
  EXPECT_EQ(a->Lookup("k"), nullptr);
  a->Store("k2", "s", Answer("v"));  // skipped, no throw, no crash
  EXPECT_EQ(a->PurgeAll(), 0u);
  EXPECT_FALSE(health_.up());
}

TEST_F(RedisCacheTest, HungRedisCostsALookupAtMostTheTimeout) {
  auto a = Worker();
  a->Store("k", "s", Answer("v"));
  server_.Pause();
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(a->Lookup("k"), nullptr);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, milliseconds(700));
  server_.Resume();
}

}  // namespace
}  // namespace deepgate::fcgi::cache
