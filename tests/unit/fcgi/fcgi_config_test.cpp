#include "fcgi/config.h"

#include <gtest/gtest.h>

namespace deepgate::fcgi {
namespace {

Result<WorkerConfig> Parse(const std::string& text) { return ParseConfig(text, "test.json"); }

TEST(FcgiConfig, MinimalConfigTakesEveryDefault) {
  Result<WorkerConfig> c = Parse(R"({"model_path": "/m/model.gguf"})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  WorkerConfig defaults;
  EXPECT_EQ(c->socket_path, defaults.socket_path);
  EXPECT_EQ(c->acceptor_threads, defaults.acceptor_threads);
  EXPECT_EQ(c->max_body_bytes, defaults.max_body_bytes);
  EXPECT_EQ(c->socket_mode, 0660);
}

TEST(FcgiConfig, ReadsEveryKindOfValue) {
  Result<WorkerConfig> c = Parse(R"({
    // comments are allowed in config files
    "model_path": "/m/x.gguf", "socket_mode": "0600", "acceptor_threads": 4,
    "max_body_bytes": 4096, "watchdog": false, "model_id": "mine"})");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->socket_mode, 0600);
  EXPECT_EQ(c->acceptor_threads, 4);
  EXPECT_EQ(c->max_body_bytes, 4096);
  EXPECT_FALSE(c->watchdog);
  EXPECT_EQ(EffectiveModelId(*c), "mine");
}

// repack_weights (on unless the operator turns it off so workers share the mapped weights)
// is a boolean restart key.
TEST(FcgiConfig, RepackWeightsDefaultsOnAndTurnsOff) {
  Result<WorkerConfig> on = Parse(R"({"model_path": "/m"})");
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->repack_weights);
  Result<WorkerConfig> off = Parse(R"({"model_path": "/m", "repack_weights": false})");
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->repack_weights);
  Result<WorkerConfig> bad = Parse(R"({"model_path": "/m", "repack_weights": "no"})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'repack_weights' must be true or false"), std::string::npos)
      << bad.status().message();
}

TEST(FcgiConfig, ModelIdDefaultsToFileStem) {
  Result<WorkerConfig> c = Parse(R"({"model_path": "/models/DeepSeek-R1-Q4_K_M.gguf"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(EffectiveModelId(*c), "DeepSeek-R1-Q4_K_M");
}

TEST(FcgiConfig, UnknownKeyIsRejectedByName) {
  Result<WorkerConfig> c = Parse(R"({"model_path": "/m", "acceptor_thread": 4})");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("unknown key 'acceptor_thread'"), std::string::npos) << c.status().message();
}

TEST(FcgiConfig, OutOfRangeValueNamesKeyAndBounds) {
  Result<WorkerConfig> c = Parse(R"({"model_path": "/m", "acceptor_threads": 0})");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("'acceptor_threads' must be in [1, 1024], got 0"), std::string::npos)
      << c.status().message();
}

TEST(FcgiConfig, WrongTypeIsRejected) {
  for (const char* text : {R"({"model_path": "/m", "acceptor_threads": "4"})",
                           R"({"model_path": "/m", "acceptor_threads": 4.5})",
                           R"({"model_path": "/m", "acceptor_threads": true})",
                           R"({"model_path": "/m", "watchdog": 1})", R"({"model_path": 7})"}) {
    Result<WorkerConfig> c = Parse(text);
    EXPECT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(FcgiConfig, HugeIntegerIsOutOfRangeNotWrapped) {
  EXPECT_FALSE(Parse(R"({"model_path": "/m", "max_body_bytes": 18446744073709551615})").ok());
  EXPECT_FALSE(Parse(R"({"model_path": "/m", "acceptor_threads": 4294967297})").ok());
}

TEST(FcgiConfig, SocketModeMustBeOctalStringWithOwnerAccess) {
  EXPECT_FALSE(Parse(R"({"model_path": "/m", "socket_mode": 660})").ok());
  EXPECT_FALSE(Parse(R"({"model_path": "/m", "socket_mode": "0890"})").ok());
  EXPECT_FALSE(Parse(R"({"model_path": "/m", "socket_mode": "0066"})").ok());
  EXPECT_FALSE(Parse(R"({"model_path": "/m", "socket_mode": "0777"})").ok());
}

TEST(FcgiConfig, ModelPathIsRequired) {
  Result<WorkerConfig> c = Parse("{}");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("'model_path' is required"), std::string::npos);
}

TEST(FcgiConfig, MalformedJsonAndNonObjectAreErrorsWithOrigin) {
  for (const char* text : {"{", "[]", "", R"({"model_path": "/m"} x)", R"({"model_path": "/m", "model_path": "/n"})"}) {
    Result<WorkerConfig> c = Parse(text);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_EQ(c.status().message().rfind("test.json", 0), 0u) << c.status().message();
  }
}

TEST(FcgiConfig, MissingFileIsIoError) {
  Result<WorkerConfig> c = LoadConfig("/nonexistent/deepgate.json");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kIoError);
}

TEST(FcgiConfig, DiffSeparatesLiveKeysFromRestartKeys) {
  WorkerConfig a, b;
  b.max_body_bytes = 10;
  b.acceptor_threads = 3;
  ConfigChanges c = DiffConfig(a, b);
  EXPECT_EQ(c.applied, std::vector<std::string>{"max_body_bytes"});
  EXPECT_EQ(c.need_restart, std::vector<std::string>{"acceptor_threads"});
}

TEST(FcgiConfig, DiffSeesEveryFieldOfANestedKey) {
  WorkerConfig a, b;
  b.auth.jwt_ttl_s = 60;        // not one of the few auth fields a hand-kept list compared
  b.cache.ttl_s = 5;
  b.trusted_proxies = {"10.0.0.0/8"};
  b.models = {{"m", "/m.gguf", ""}};
  ConfigChanges c = DiffConfig(a, b);
  EXPECT_EQ(c.applied, std::vector<std::string>{"trusted_proxies"});
  EXPECT_EQ(c.need_restart, (std::vector<std::string>{"models", "auth", "cache"}));
  EXPECT_TRUE(DiffConfig(b, b).applied.empty());
  EXPECT_TRUE(DiffConfig(b, b).need_restart.empty());
}

TEST(FcgiConfig, ApplyLiveKeysTakesOnlyTheLiveOnes) {
  WorkerConfig a, b;
  b.rate_limits.requests_per_minute = 7;
  b.shutdown_deadline_ms = 5;
  b.ctx_size = 64;
  b.auth.required = false;
  WorkerConfig merged = ApplyLiveKeys(a, b);
  EXPECT_EQ(merged.rate_limits.requests_per_minute, 7);
  EXPECT_EQ(merged.shutdown_deadline_ms, 5);
  EXPECT_EQ(merged.ctx_size, a.ctx_size);
  EXPECT_TRUE(merged.auth.required);
}

TEST(FcgiConfig, EngineDefaultsAreTheEnginesOwn) {
  const WorkerConfig c;
  const EngineOptions e;
  EXPECT_EQ(c.max_sequences, e.max_sequences);
  EXPECT_EQ(c.queue_length, e.queue_capacity);
  EXPECT_EQ(c.ctx_size, e.n_ctx);
  EXPECT_EQ(c.prefill_chunk, e.prefill_chunk);
  EXPECT_EQ(static_cast<uint64_t>(c.kv_cache_mb) << 20, e.kv_budget_bytes);
}

TEST(FcgiConfig, ShippedDefaultConfigIsValid) {
  Result<WorkerConfig> c = LoadConfig(std::string(DEEPGATE_TEST_SOURCE_DIR) + "/etc/deepgate.json");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  // The shipped file spells the engine keys out; they must say what the defaults say.
  const WorkerConfig d;
  EXPECT_EQ(c->max_sequences, d.max_sequences);
  EXPECT_EQ(c->queue_length, d.queue_length);
  EXPECT_EQ(c->ctx_size, d.ctx_size);
  EXPECT_EQ(c->prefill_chunk, d.prefill_chunk);
  EXPECT_EQ(c->kv_cache_mb, d.kv_cache_mb);
}

}  // namespace
}  // namespace deepgate::fcgi
