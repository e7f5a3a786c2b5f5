// The "redis" and "limits" config objects and cache.backend: defaults need no Redis, the
// keys are read with their bounds, and a backend named without a Redis url is refused at load.
#include <gtest/gtest.h>

#include "fcgi/config.h"

namespace deepgate::fcgi {
namespace {

Result<WorkerConfig> Parse(const std::string& text) { return ParseConfig(text, "test.json"); }

TEST(RedisConfig, DefaultsKeepEverythingInProcess) {
  WorkerConfig c = Parse(R"({"model_path": "/m.gguf"})").value();
  EXPECT_FALSE(c.limits.redis);
  EXPECT_FALSE(c.cache.redis);
  EXPECT_TRUE(c.redis.url.empty());
  EXPECT_TRUE(c.limits.fail_closed);
  EXPECT_EQ(c.limits.lease_seconds, 30);
  EXPECT_EQ(c.redis.timeout_ms, 100);
}

TEST(RedisConfig, ReadsTheSharedBlock) {
  Result<WorkerConfig> c = Parse(R"({"model_path": "/m.gguf",
    "redis": {"url": "unix:/run/redis.sock", "timeout_ms": 50, "pool_size": 8, "key_prefix": "dg1:",
              "password_file": "/etc/deepgate/secrets/redis"},
    "limits": {"backend": "redis", "on_backend_failure": "local", "lease_seconds": 5},
    "cache": {"backend": "redis", "max_entry_bytes": 65536}})");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->redis.url, "unix:/run/redis.sock");
  EXPECT_EQ(c->redis.timeout_ms, 50);
  EXPECT_EQ(c->redis.pool_size, 8);
  EXPECT_EQ(c->redis.key_prefix, "dg1:");
  EXPECT_TRUE(c->limits.redis);
  EXPECT_FALSE(c->limits.fail_closed);
  EXPECT_EQ(c->limits.lease_seconds, 5);
  EXPECT_TRUE(c->cache.redis);
  EXPECT_EQ(c->cache.max_entry_bytes, 65536);
}

TEST(RedisConfig, RefusesARedisBackendWithoutAUrl) {
  Result<WorkerConfig> c = Parse(R"({"model_path": "/m.gguf", "limits": {"backend": "redis"}})");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("redis.url"), std::string::npos);
  EXPECT_FALSE(Parse(R"({"model_path": "/m.gguf", "cache": {"backend": "redis"}})").ok());
}

TEST(RedisConfig, RefusesBadValues) {
  EXPECT_FALSE(Parse(R"({"model_path": "/m.gguf", "limits": {"backend": "memcached"}})").ok());
  EXPECT_FALSE(Parse(R"({"model_path": "/m.gguf", "limits": {"on_backend_failure": "open"}})").ok());
  EXPECT_FALSE(Parse(R"({"model_path": "/m.gguf", "limits": {"lease_seconds": 0}})").ok());
  EXPECT_FALSE(Parse(R"({"model_path": "/m.gguf", "redis": {"timeout_ms": 0}})").ok());
  EXPECT_FALSE(Parse(R"({"model_path": "/m.gguf", "redis": {"url": "unix:relative.sock"}})").ok());
  EXPECT_FALSE(Parse(R"({"model_path": "/m.gguf", "redis": {"colour": "red"}})").ok());
  Result<WorkerConfig> pw = Parse(R"({"model_path": "/m.gguf", "redis": {"url": "redis://u:hunter2hunter2@h:6379"}})");
  ASSERT_FALSE(pw.ok());
  EXPECT_EQ(pw.status().message().find("hunter2"), std::string::npos);  // never echoed
}

TEST(RedisConfig, ChangingItNeedsARestart) {
  WorkerConfig a = Parse(R"({"model_path": "/m.gguf"})").value();
  WorkerConfig b = Parse(R"({"model_path": "/m.gguf", "redis": {"url": "redis://h:1"},
                             "limits": {"backend": "redis"}})").value();
  ConfigChanges d = DiffConfig(a, b);
  EXPECT_EQ(d.need_restart, (std::vector<std::string>{"redis", "limits"}));
}

}  // namespace
}  // namespace deepgate::fcgi
