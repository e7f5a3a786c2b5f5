// The response cache: TTL on an injected clock, LRU by bytes, keys (determinism, scope,
// canonicalisation), purge; and ServeCached through the pipeline: hit replays the
// answer with the same usage, a cut stream is never stored, non-deterministic bypasses.
#include <gtest/gtest.h>
#include <json/json.h>

#include <sstream>
#include <thread>

#include "fcgi/api/cached_generation.h"
#include "fcgi/cache/cache_key.h"
#include "fcgi/cache/response_cache.h"
#include "fcgi/http/json.h"
#include "fcgi/policy/clock.h"
#include "fcgi/server/pipeline.h"
#include "fcgi_fakes.h"

namespace deepgate::fcgi {
namespace {

using cache::CachedResponse;
using cache::CacheKeyFor;
using cache::CacheScope;
using cache::ResponseCache;
using testing::FakeSink;
using testing::FakeSource;

Json::Value J(const std::string& text) { return *ParseJsonObject(text); }

CachedResponse Answer(size_t body_bytes) {
  CachedResponse r;
  r.body.assign(body_bytes, 'x');
  r.response_id = "chatcmpl-1";
  return r;
}

TEST(ResponseCache, MissThenHit) {
  policy::ManualClock clock;
  ResponseCache c({}, clock);
  EXPECT_EQ(c.Lookup("k"), nullptr);
  c.Store("k", "alice", Answer(10));
  auto hit = c.Lookup("k");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->body, std::string(10, 'x'));
  EXPECT_EQ(c.stats().hits, 1u);
  EXPECT_EQ(c.stats().misses, 1u);
  EXPECT_EQ(c.stats().entries, 1);
}

TEST(ResponseCache, EntryExpiresAfterTtl) {
  policy::ManualClock clock;
  ResponseCache c({std::chrono::seconds(900), 1 << 20}, clock);
  c.Store("k", "alice", Answer(10));
  clock.Advance(std::chrono::seconds(899));
  EXPECT_NE(c.Lookup("k"), nullptr);
  clock.Advance(std::chrono::seconds(1));
  EXPECT_EQ(c.Lookup("k"), nullptr);
  EXPECT_EQ(c.stats().entries, 0);
  EXPECT_EQ(c.stats().bytes, 0);
  EXPECT_EQ(c.stats().evictions, 1u);
}

TEST(ResponseCache, EvictsLeastRecentlyUsedToStayWithinBytes) {
  policy::ManualClock clock;
  const int64_t one = static_cast<int64_t>(Answer(1000).Bytes()) + 1 + 5;  // + key + subject
  ResponseCache c({std::chrono::seconds(900), 3 * one}, clock);
  c.Store("a", "alice", Answer(1000));
  c.Store("b", "alice", Answer(1000));
  c.Store("c", "alice", Answer(1000));
  EXPECT_NE(c.Lookup("a"), nullptr);  // a is now the most recently used: b goes first
  c.Store("d", "alice", Answer(1000));
  EXPECT_EQ(c.Lookup("b"), nullptr);
  EXPECT_NE(c.Lookup("a"), nullptr);
  EXPECT_NE(c.Lookup("c"), nullptr);
  EXPECT_NE(c.Lookup("d"), nullptr);
  EXPECT_LE(c.stats().bytes, 3 * one);
  EXPECT_EQ(c.stats().evictions, 1u);
}

TEST(ResponseCache, AnswerLargerThanTheCacheIsNotStored) {
  policy::ManualClock clock;
  ResponseCache c({std::chrono::seconds(900), 1 << 16}, clock);
  c.Store("k", "alice", Answer(1 << 17));
  EXPECT_EQ(c.Lookup("k"), nullptr);
  EXPECT_EQ(c.stats().bytes, 0);
}

TEST(ResponseCache, PurgeSubjectDropsOnlyThatSubjectsEntries) {
  policy::ManualClock clock;
  ResponseCache c({}, clock);
  c.Store("a1", "alice", Answer(10));
  c.Store("a2", "alice", Answer(10));
  c.Store("b1", "bob", Answer(10));
  EXPECT_EQ(c.PurgeSubject("alice"), 2u);
  EXPECT_EQ(c.Lookup("a1"), nullptr);
  EXPECT_NE(c.Lookup("b1"), nullptr);
  EXPECT_EQ(c.PurgeAll(), 1u);
  EXPECT_EQ(c.Lookup("b1"), nullptr);
  EXPECT_EQ(c.stats().bytes, 0);
  EXPECT_EQ(c.stats().purged, 3u);
}

TEST(ResponseCache, ConcurrentLookupsStoresAndPurgesKeepTheBooksStraight) {
  policy::ManualClock clock;
  ResponseCache c({std::chrono::seconds(900), 64 * 1024}, clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&c, t] {
      for (int i = 0; i < 2000; ++i) {
        std::string key = "k";  // (not "k" + …: GCC 12 -Wrestrict false positive)
        key += std::to_string((i * 7 + t) % 97);
        if (!c.Lookup(key)) c.Store(key, t % 2 ? "alice" : "bob", Answer(100 + i % 500));
        if (i % 500 == 0) c.PurgeSubject("alice");
      }
    });
  for (auto& t : threads) t.join();
  const auto s = c.stats();
  EXPECT_EQ(s.hits + s.misses, 8u * 2000u);
  EXPECT_LE(s.bytes, 64 * 1024);
  EXPECT_EQ(c.PurgeAll(), static_cast<size_t>(s.entries));
  EXPECT_EQ(c.stats().bytes, 0);
}

TEST(CacheKey, OnlyTemperatureZeroTopPZeroOrASeedAreDeterministic) {
  EXPECT_TRUE(cache::IsDeterministic(J(R"({"temperature": 0})")));
  EXPECT_TRUE(cache::IsDeterministic(J(R"({"temperature": 0.0})")));
  EXPECT_TRUE(cache::IsDeterministic(J(R"({"top_p": 0})")));
  EXPECT_TRUE(cache::IsDeterministic(J(R"({"temperature": 0.7, "seed": 42})")));
  EXPECT_FALSE(cache::IsDeterministic(J(R"({})")));  // OpenAI's default temperature is 1
  EXPECT_FALSE(cache::IsDeterministic(J(R"({"temperature": 0.7})")));
  EXPECT_FALSE(cache::IsDeterministic(J(R"({"temperature": 0.7, "seed": "42"})")));
  EXPECT_EQ(CacheKeyFor("chat.completions", J(R"({"temperature": 0.7})"), "alice", CacheScope::kKey), std::nullopt);
}

TEST(CacheKey, MemberOrderAndUserDoNotMatterButContentDoes) {
  auto key = [](const std::string& body, const std::string& subject = "alice",
                CacheScope scope = CacheScope::kKey) { return *CacheKeyFor("chat.completions", J(body), subject, scope); };
  const std::string base = key(R"({"model": "m", "temperature": 0, "messages": [{"role": "user", "content": "hi"}]})");
  EXPECT_EQ(base, key(R"({"messages": [{"content": "hi", "role": "user"}], "temperature": 0, "model": "m", "user": "u1"})"));
  EXPECT_NE(base, key(R"({"model": "m", "temperature": 0, "messages": [{"role": "user", "content": "hi!"}]})"));
  EXPECT_NE(base, key(R"({"model": "m2", "temperature": 0, "messages": [{"role": "user", "content": "hi"}]})"));
  EXPECT_NE(base, key(R"({"model": "m", "temperature": 0, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})"));
  EXPECT_NE(base, key(R"({"model": "m", "temperature": 0, "stream": true, "messages": [{"role": "user", "content": "hi"}]})"));
  // stream_options only matters when streaming.
  EXPECT_EQ(base, key(R"({"model": "m", "temperature": 0, "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "hi"}]})"));
  EXPECT_NE(*CacheKeyFor("completions", J(R"({"temperature": 0})"), "a", CacheScope::kKey),
            *CacheKeyFor("chat.completions", J(R"({"temperature": 0})"), "a", CacheScope::kKey));
}

TEST(CacheKey, ScopeKeySeparatesSubjectsAndSharedDoesNot) {
  const Json::Value body = J(R"({"model": "m", "temperature": 0})");
  EXPECT_NE(*CacheKeyFor("completions", body, "alice", CacheScope::kKey),
            *CacheKeyFor("completions", body, "bob", CacheScope::kKey));
  EXPECT_EQ(*CacheKeyFor("completions", body, "alice", CacheScope::kShared),
            *CacheKeyFor("completions", body, "bob", CacheScope::kShared));
}

// --- ServeCached through the pipeline ---

// Subject from the X-Subject header: two "keys" without a key store.
class HeaderAuthenticator final : public Authenticator {
 public:
  std::optional<Refusal> Authenticate(const Request& r, Principal* p) override {
    p->subject = r.Header("x-subject").empty() ? "anonymous" : r.Header("x-subject");
    p->key_id = p->subject;
    p->authenticated = true;
    return std::nullopt;
  }
};

class RecordingAudit final : public AuditSink {
 public:
  void Record(const AuditRecord& r) override { records.push_back(r); }
  std::vector<AuditRecord> records;
};

class CachedGenerationTest : public ::testing::Test {
 protected:
  CachedGenerationTest() : cache_({}, clock_) {
    config_.model_path = "/m.gguf";
    router_.Add({"POST", "/v1/chat/completions", "chat.completions", false,
                 [this](RequestContext& ctx, ResponseWriter& out) {
                   const Json::Value parsed = *ParseJsonObject(ctx.request.body);
                   ServeCached(cache_, CacheScope::kKey, "chatcmpl-", ctx, out, parsed, [&] { Generate(ctx, out); });
                 }});
    PipelineStages stages;
    stages.authenticator = std::make_unique<HeaderAuthenticator>();
    auto audit = std::make_unique<RecordingAudit>();
    audit_ = audit.get();
    stages.audit = std::move(audit);
    pipeline_ = std::make_unique<Pipeline>(router_, std::move(stages));
  }

  // A stand-in generation: counts its runs, answers whole or as a (possibly cut) stream.
  void Generate(RequestContext& ctx, ResponseWriter& out) {
    ++generations_;
    ctx.usage = {"m", 3, 2};
    const std::string id = "chatcmpl-" + out.request_id();
    Json::Value body = *ParseJsonObject(ctx.request.body);
    if (!body.get("stream", false).asBool()) {
      out.SendBody(200, "application/json",
                   "{\"id\":\"" + id + "\",\"choices\":[{\"text\":\"gen " + std::to_string(generations_) +
                       "\"}],\"usage\":{\"prompt_tokens\":3}}");
      return;
    }
    out.StartStream();
    out.WriteEvent("{\"id\":\"" + id + "\",\"delta\":\"a\"}");
    if (cut_stream_) return;  // the deadline passed / the client left: no [DONE]
    out.WriteEvent("{\"id\":\"" + id + "\",\"delta\":\"b\"}");
    out.FinishStream();
  }

  FakeSink Post(const std::string& body, const std::string& subject = "alice", const std::string& request_id = "r1") {
    FakeSource src({{"REQUEST_METHOD", "POST"},
                    {"DOCUMENT_URI", "/v1/chat/completions"},
                    {"CONTENT_LENGTH", std::to_string(body.size())},
                    {"HTTP_X_SUBJECT", subject},
                    {"HTTP_X_REQUEST_ID", request_id}},
                   body);
    FakeSink sink;
    pipeline_->Serve(src, sink, config_, cancel_);
    return sink;
  }
  static std::string CacheHeader(const FakeSink& s) {
    const std::string head = s.Head();
    const size_t p = head.find("x-deepgate-cache: ");
    if (p == std::string::npos) return "";
    return head.substr(p + 18, head.find("\r\n", p) - p - 18);
  }

  policy::ManualClock clock_;
  ResponseCache cache_;
  WorkerConfig config_;
  Router router_;
  std::unique_ptr<Pipeline> pipeline_;
  RecordingAudit* audit_ = nullptr;
  std::atomic<bool> cancel_{false};
  int generations_ = 0;
  bool cut_stream_ = false;
};

constexpr const char* kGreedy = R"({"model": "m", "temperature": 0, "messages": []})";
constexpr const char* kGreedyStream = R"({"model": "m", "temperature": 0, "stream": true, "messages": []})";

TEST_F(CachedGenerationTest, SecondIdenticalRequestIsAHitWithTheSameContentAndUsage) {
  FakeSink miss = Post(kGreedy, "alice", "r1");
  EXPECT_EQ(CacheHeader(miss), "miss");
  FakeSink hit = Post(kGreedy, "alice", "r2");
  EXPECT_EQ(CacheHeader(hit), "hit");
  EXPECT_EQ(generations_, 1);
  EXPECT_EQ(hit.Body(), R"({"id":"chatcmpl-r2","choices":[{"text":"gen 1"}],"usage":{"prompt_tokens":3}})");
  ASSERT_EQ(audit_->records.size(), 2u);
  EXPECT_EQ(audit_->records[1].status, 200);
  EXPECT_EQ(audit_->records[1].prompt_tokens, 3);  // a hit reports (and is charged) the original usage
  EXPECT_EQ(audit_->records[1].completion_tokens, 2);
}

TEST_F(CachedGenerationTest, AnotherKeyMissesUnderScopeKey) {
  Post(kGreedy, "alice");
  EXPECT_EQ(CacheHeader(Post(kGreedy, "bob")), "miss");
  EXPECT_EQ(generations_, 2);
}

TEST_F(CachedGenerationTest, NonDeterministicRequestBypasses) {
  const std::string body = R"({"model": "m", "temperature": 0.7, "messages": []})";
  EXPECT_EQ(CacheHeader(Post(body)), "bypass");
  EXPECT_EQ(CacheHeader(Post(body)), "bypass");
  EXPECT_EQ(generations_, 2);
  EXPECT_EQ(cache_.stats().entries, 0);
}

TEST_F(CachedGenerationTest, RequestCacheControlNoCacheBypasses) {
  Post(kGreedy);
  const std::string body = kGreedy;
  FakeSource src({{"REQUEST_METHOD", "POST"}, {"DOCUMENT_URI", "/v1/chat/completions"},
                  {"CONTENT_LENGTH", std::to_string(body.size())}, {"HTTP_X_SUBJECT", "alice"},
                  {"HTTP_CACHE_CONTROL", "No-Cache"}},
                 body);
  FakeSink sink;
  pipeline_->Serve(src, sink, config_, cancel_);
  EXPECT_EQ(CacheHeader(sink), "bypass");
  EXPECT_EQ(generations_, 2);
}

TEST_F(CachedGenerationTest, CompleteStreamIsReplayedWithDone) {
  Post(kGreedyStream, "alice", "r1");
  FakeSink hit = Post(kGreedyStream, "alice", "r2");
  EXPECT_EQ(CacheHeader(hit), "hit");
  EXPECT_EQ(generations_, 1);
  EXPECT_NE(hit.Head().find("text/event-stream"), std::string::npos);
  EXPECT_EQ(hit.Body(),
            "data: {\"id\":\"chatcmpl-r2\",\"delta\":\"a\"}\n\ndata: {\"id\":\"chatcmpl-r2\",\"delta\":\"b\"}\n\n"
            "data: [DONE]\n\n");
}

TEST_F(CachedGenerationTest, CutStreamIsNotStored) {
  cut_stream_ = true;
  Post(kGreedyStream);
  EXPECT_EQ(cache_.stats().entries, 0);
  cut_stream_ = false;
  EXPECT_EQ(CacheHeader(Post(kGreedyStream)), "miss");
  EXPECT_EQ(generations_, 2);
}

TEST_F(CachedGenerationTest, StreamWhoseClientLeftIsNotStored) {
  const std::string body = kGreedyStream;
  FakeSource src({{"REQUEST_METHOD", "POST"}, {"DOCUMENT_URI", "/v1/chat/completions"},
                  {"CONTENT_LENGTH", std::to_string(body.size())}, {"HTTP_X_SUBJECT", "alice"}},
                 body);
  FakeSink sink;
  sink.FailFromNowOn();
  pipeline_->Serve(src, sink, config_, cancel_);
  EXPECT_EQ(cache_.stats().entries, 0);
}

TEST_F(CachedGenerationTest, EntryExpiresAndIsGeneratedAgain) {
  Post(kGreedy);
  clock_.Advance(std::chrono::seconds(901));
  EXPECT_EQ(CacheHeader(Post(kGreedy)), "miss");
  EXPECT_EQ(generations_, 2);
}

TEST_F(CachedGenerationTest, PurgeSubjectForcesAMiss) {
  Post(kGreedy, "alice");
  Post(kGreedy, "bob");
  cache_.PurgeSubject("alice");
  EXPECT_EQ(CacheHeader(Post(kGreedy, "alice")), "miss");
  EXPECT_EQ(CacheHeader(Post(kGreedy, "bob")), "hit");
}

}  // namespace
}  // namespace deepgate::fcgi

namespace deepgate::fcgi {
namespace {

TEST(CacheConfig, DefaultsAndBoundsAreCheckedAtLoad) {
  Result<WorkerConfig> plain = ParseConfig(R"({"model_path": "/m.gguf"})", "t");
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->cache.enabled);
  EXPECT_EQ(plain->cache.ttl_s, 900);
  EXPECT_EQ(plain->cache.max_bytes, int64_t{64} << 20);
  EXPECT_FALSE(plain->cache.shared);
  Result<WorkerConfig> shared = ParseConfig(
      R"({"model_path": "/m.gguf", "cache": {"enabled": false, "ttl_s": 60, "max_bytes": 1048576, "scope": "shared"}})", "t");
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_FALSE(shared->cache.enabled);
  EXPECT_TRUE(shared->cache.shared);
  EXPECT_EQ(shared->cache.ttl_s, 60);
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m.gguf", "cache": {"scope": "global"}})", "t").ok());
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m.gguf", "cache": {"ttl_s": 0}})", "t").ok());
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m.gguf", "cache": {"max_bytes": 10}})", "t").ok());
  EXPECT_FALSE(ParseConfig(R"({"model_path": "/m.gguf", "cache": {"size": 10}})", "t").ok());
  EXPECT_EQ(DiffConfig(*plain, *shared).need_restart, std::vector<std::string>{"cache"});
}

}  // namespace
}  // namespace deepgate::fcgi
